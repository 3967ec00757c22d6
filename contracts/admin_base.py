"""Admin pages for officials: scoped to their agency, read-only except through actions that
call the services."""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.services.approvals import ActionRefused
from portfolio.admin_exports import ExportableAdmin
from portfolio.admin_inputs import CheckedInputsMixin
from portfolio.models import City


def is_official(user) -> bool:
    return user.is_active and user.is_staff and user.role in ("preparer", "approver")


class ScopedAdmin(CheckedInputsMixin, ExportableAdmin, admin.ModelAdmin):
    """Superusers edit; officials see their agency's rows and act through buttons and actions
    (services check every step); nobody else sees anything here. Every list exports its
    filtered rows as CSV and XLSX.

    Officials read people (submitter, reviewer, preparer…) as names: the user pages are the
    superuser's, and a link to them would answer 403."""

    # A filtered list counts its rows once, not again for the unfiltered total (a COUNT(*)
    # over the scoped join each time, the dearest query of a list at 100,000 rows).
    show_full_result_count = False

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        self.person_fields = {
            f.name: f"{f.name}_name"
            for f in model._meta.fields
            if f.is_relation and f.related_model is get_user_model()
        }
        for name, shown in self.person_fields.items():
            setattr(self, shown, _person_display(name, model._meta.get_field(name).verbose_name))

    def _names(self, request: HttpRequest, fields) -> list[str]:
        if request.user.is_superuser:
            return list(fields)
        return list(dict.fromkeys(self.person_fields.get(f, f) for f in fields))

    def history_view(self, request: HttpRequest, object_id, extra_context=None):
        """Officials: the object's recorded events (pghistory), found through this admin's
        scoped queryset; superusers get Django's history and the pghistory pages."""
        event_model = tracked_events(self.model)
        if request.user.is_superuser or event_model is None:
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        events = event_model.objects.filter(pgh_obj_id=obj.pk).order_by("-pgh_id")[:HISTORY_ROWS]
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(object)s") % {"object": obj},
            "opts": self.model._meta,
            "object": obj,
            "events": event_rows(list(events)),
        }
        return TemplateResponse(request, "admin/scoped_history.html", context)

    def get_fields(self, request: HttpRequest, obj=None):
        return self._names(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._names(request, super().get_readonly_fields(request, obj))

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or is_official(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser or is_official(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


HISTORY_ROWS = 200
EVENT_META = {"pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"}


def tracked_events(model):
    """The pghistory event model that records `model`'s rows, if it is tracked."""
    try:
        return apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    except LookupError:
        return None


def event_rows(events: list) -> list[dict]:
    """Each event (newest first) with the fields that changed since the one before it."""
    rows = []
    for index, event in enumerate(events):
        before = events[index + 1] if index + 1 < len(events) else None
        fields = [f for f in event._meta.concrete_fields if f.name not in EVENT_META]
        changed = [
            (f.verbose_name, f.value_from_object(event))
            for f in fields
            if before is None or f.value_from_object(before) != f.value_from_object(event)
        ]
        rows.append({"at": event.pgh_created_at, "label": event.pgh_label, "changed": changed})
    return rows


def _person_display(name: str, label):
    @admin.display(description=label)
    def shown(obj) -> str:
        person = getattr(obj, name)
        return (person.get_full_name() or person.username) if person else "—"

    return shown


class ServiceOnlyAdmin(ScopedAdmin):
    """Rows that only services write (calculations, runs, decisions): nobody edits them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def apply_to_each(modeladmin, request, queryset, service, verb: str) -> None:
    """Run `service(obj)` on each selected row; report what was done and what was refused."""
    done, refused = 0, []
    for obj in queryset:
        try:
            service(obj)
            done += 1
        except ActionRefused as exc:
            refused.append(f"{obj}: {exc}")
    if done:
        modeladmin.message_user(request, f"{verb}: {done}", messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


def city_filter(path: str) -> type[admin.SimpleListFilter]:
    """A city filter on `path` (e.g. "period__contract__project__city") that offers only the
    cities of the projects the user can see, not every city in the database."""

    class CityFilter(admin.SimpleListFilter):
        title = _("city")
        parameter_name = "city"

        def lookups(self, request, model_admin):
            # EXISTS per city (a handful) stops at its first visible contract, where IN would
            # read every visible project first.
            visible = Contract.objects.visible_to(request.user).filter(project__city=OuterRef("pk"))
            cities = City.objects.filter(Exists(visible)).order_by("name")
            return list(cities.values_list("pk", "name"))

        def queryset(self, request, queryset):
            if str(self.value() or "").isdigit():  # facet counts pass ints
                return queryset.filter(**{f"{path}_id": self.value()})
            return queryset

    return CityFilter


class QueueFilter(admin.SimpleListFilter):
    """A filter whose first choice applies when none is chosen, for officials: their lists
    open on what waits for them. Anyone else starts on the last choice ("all")."""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.default = self.lookup_choices[0 if is_official(request.user) else -1][0]

    @property
    def chosen(self) -> str:
        return str(self.value() or self.default)  # facet counts set the value themselves

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.chosen == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


# Lists and counts stop counting here: beyond it, "more than 1,000" is what an official needs
# to know (they filter or search), and counting 100,000 rows over the scoped join is what made
# a list slow.
COUNT_CAP = 1000


def capped_count(queryset, cap: int = COUNT_CAP) -> int:
    """The number of rows, or cap + 1 when there are more (a COUNT over at most cap + 1)."""
    return queryset[: cap + 1].count()


class CappedPaginator(Paginator):
    """Pages over at most COUNT_CAP + 1 rows' count (the list's text says "more than")."""

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list)
