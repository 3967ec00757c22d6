from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import connection
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portfolio.admin_inputs import CheckedInputsMixin

from . import (
    admin_attached_files,  # noqa: F401 — registers the objections' and notices' files
    admin_objections,  # noqa: F401 — registers the objections
    admin_payments,  # noqa: F401 — registers the payment workplace
)
from .admin_base import QueueFilter, ScopedAdmin, apply_to_each, city_filter
from .admin_rectifications import MonitoringMixin, RectificationReviewMixin
from .admin_review import PeriodReviewMixin, review_url
from .admin_selectors import NOT_RESUBMITTED, contracts_with_alerts, transition_q
from .compliance import FlagCode, compliance_flags
from .evidence_files import evidence_response
from .models import (
    KPI,
    AvailabilityFailure,
    Contract,
    DeductionEvent,
    Evidence,
    Measurement,
    MechanismVersion,
    Milestone,
    Period,
)
from .selectors import decimal_text, periods_submitted_late
from .services.measurements import measurement_accept, measurement_return
from .services.payments import payment_compute_enqueue


class MechanismVersionInline(admin.TabularInline):
    model = MechanismVersion
    fields = ["version", "effective_from", "type", "agreement"]
    extra = 0
    show_change_link = True


class MilestoneInline(CheckedInputsMixin, admin.TabularInline):
    model = Milestone
    extra = 0


def version_in_use(version: MechanismVersion | None) -> bool:
    """A version some calculation used is that payment's basis: it no longer changes here (as
    in a bundle re-import, a change is a new version)."""
    return version is not None and version.calculations.exists()


# A KPI's telemetry definition (docs/telemetry.md), editable on the KPI page (every field)
# and in its version's inline (these).
KPI_TELEMETRY_FIELDS = [
    "data_source",
    "telemetry_stream",
    "telemetry_metric",
    "telemetry_p",
    "telemetry_condition",
    "telemetry_min_sample",
    "telemetry_tolerance",
    "telemetry_places",
]


class KPIInline(CheckedInputsMixin, admin.TabularInline):
    """The version's KPIs, telemetry definition included. Each row's form is a ModelForm like
    the KPI page's: saving it runs `KPI.clean()` (the telemetry rules, each error on its
    field) and the model's check constraints, so the two pages accept and refuse the same."""

    model = KPI
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not version_in_use(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not version_in_use(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not version_in_use(obj)

    fields = [
        "position",
        "code",
        "name",
        "dimension",
        "unit",
        "rule",
        "direction",
        "target",
        "floor",
        "max_points",
        "step",
        "points_per_step",
        "partial_step",
        *KPI_TELEMETRY_FIELDS,
    ]


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["kpi", "revision", "is_current", "value", "points", "state", "source", "submitted_by"]
    raw_id_fields = ["kpi", "submitted_by"]


class AvailabilityFailureInline(admin.TabularInline):
    model = AvailabilityFailure
    extra = 0


class DeductionEventInline(CheckedInputsMixin, admin.TabularInline):
    model = DeductionEvent
    extra = 0


FLAG_COLOURS = {"danger": "#b42318", "warning": "#b54708"}


class ComplianceFilter(admin.SimpleListFilter):
    title = _("compliance")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return FlagCode.choices

    def queryset(self, request, queryset):
        if self.value() not in FlagCode.values:
            return queryset
        contracts = queryset.select_related("project")
        flags = compliance_flags(contracts=contracts, today=timezone.localdate())
        flagged = [
            c.pk for c in contracts if any(f.code == self.value() for f in flags.for_contract(c))
        ]
        return queryset.filter(pk__in=flagged)


MONITORING_COMPUTING = _(
    "The contracts with monitoring alerts are being computed in the background: "
    "open this list again in a minute."
)


class MonitoringFilter(admin.SimpleListFilter):
    """Contracts with monitoring alerts (contracts/monitoring.py): the home's link."""

    title = _("monitoring")
    parameter_name = "monitoring"

    def lookups(self, request, model_admin):
        return [("alerts", _("with monitoring alerts"))]

    def queryset(self, request, queryset):
        if self.value() != "alerts":
            return queryset
        alerted = contracts_with_alerts(user=request.user, today=timezone.localdate())
        if alerted is None:
            messages.info(request, MONITORING_COMPUTING)
            return queryset.none()
        return queryset.filter(pk__in=alerted)


@admin.register(Contract)
class ContractAdmin(MonitoringMixin, ScopedAdmin):
    list_display = [
        "code",
        "title",
        "project",
        "government_party",
        "private_party",
        "frequency",
        "starts_on",
        "ends_on",
        "compliance",
        "monitoring",
    ]
    list_filter = [
        ComplianceFilter,
        MonitoringFilter,
        "frequency",
        "currency",
        city_filter("project__city"),
        "project__sector",
        "project__stage",
    ]
    readonly_fields = ["compliance"]
    search_fields = ["code", "title", "project__code", "project__name", "private_party__name"]
    list_select_related = ["project", "government_party", "private_party"]
    autocomplete_fields = ["project", "government_party", "private_party"]
    date_hierarchy = "starts_on"
    inlines = [MechanismVersionInline, MilestoneInline]

    def get_urls(self):
        return [*self.monitoring_urls(), *super().get_urls()]

    def get_changelist_instance(self, request):
        """The flags of the page's contracts, computed once for the page, not per row."""
        changelist = super().get_changelist_instance(request)
        page = list(changelist.result_list)  # evaluated here; the rows render from this cache
        flags = compliance_flags(contracts=page, today=timezone.localdate())
        for contract in page:
            contract.compliance_flags = flags.for_contract(contract)
        return changelist

    @admin.display(description=_("compliance"))
    def compliance(self, contract: Contract) -> str:
        """The list: each flag's label (its reason on hover); the change page: the reasons."""
        if contract.pk is None:
            return "—"
        flags = getattr(contract, "compliance_flags", None)
        listed = flags is not None
        if not listed:
            flags = compliance_flags(contracts=[contract], today=timezone.localdate())
            flags = flags.for_contract(contract)
        if not flags:
            return _("no flags")
        return format_html_join(
            "",
            '<div style="color: {}" title="{}"><strong>{}</strong>{}</div>',
            (
                (FLAG_COLOURS[f.severity], f.reason, f.label, "" if listed else f": {f.reason}")
                for f in flags
            ),
        )


@admin.register(MechanismVersion)
class MechanismVersionAdmin(ScopedAdmin):
    list_display = ["contract", "version", "effective_from", "type", "agreement"]
    list_filter = ["type"]
    search_fields = ["contract__code", "agreement"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]
    inlines = [KPIInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not version_in_use(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not version_in_use(obj)


@admin.register(KPI)
class KPIAdmin(ScopedAdmin):
    list_display = [
        "code",
        "name",
        "mechanism_version",
        "dimension",
        "rule",
        "target",
        "max_points",
        "data_source",
    ]
    list_filter = ["dimension", "rule", "direction", "data_source"]
    search_fields = ["code", "name", "mechanism_version__contract__code"]
    list_select_related = ["mechanism_version__contract"]
    raw_id_fields = ["mechanism_version"]

    def has_change_permission(self, request, obj=None) -> bool:
        in_use = obj is not None and version_in_use(obj.mechanism_version)
        return super().has_change_permission(request, obj) and not in_use

    def has_delete_permission(self, request, obj=None) -> bool:
        in_use = obj is not None and version_in_use(obj.mechanism_version)
        return super().has_delete_permission(request, obj) and not in_use


@admin.register(Milestone)
class MilestoneAdmin(ScopedAdmin):
    list_display = ["code", "name", "contract", "due_on", "met_on"]
    list_filter = ["due_on", city_filter("contract__project__city")]
    search_fields = ["code", "name", "contract__code"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("overdue (open after its due date)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state=Period.State.OPEN, due_on__lt=timezone.localdate())
        return queryset


class LateFilter(admin.SimpleListFilter):
    title = _("submission")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("submitted late"))]

    def queryset(self, request, queryset):
        return periods_submitted_late(queryset=queryset) if self.value() == "yes" else queryset


@admin.register(Period)
class PeriodAdmin(RectificationReviewMixin, PeriodReviewMixin, ScopedAdmin):
    list_display = [
        "contract", "label", "starts_on", "ends_on", "due_on", "state", "submitted_at", "late",
        "review",
    ]  # fmt: skip
    list_filter = [
        "state", OverdueFilter, LateFilter, "contract__frequency",
        city_filter("contract__project__city"),
    ]  # fmt: skip
    search_fields = ["label", "contract__code", "contract__private_party__name"]
    list_select_related = ["contract"]
    raw_id_fields = ["contract"]
    inlines = [MeasurementInline, AvailabilityFailureInline, DeductionEventInline]
    actions = ["compute_selected"]

    def get_urls(self):
        return [*self.review_urls(), *self.rectification_urls(), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Officials read a period on its review page; superusers edit it here."""
        if not request.user.is_superuser and str(object_id).isdigit():
            return HttpResponseRedirect(review_url(int(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("review"))
    def review(self, period: Period) -> str:
        return format_html('<a href="{}">{}</a>', review_url(period.pk), _("review"))

    @admin.action(description=_("Compute the payments of the selected periods"))
    def compute_selected(self, request, queryset):
        """On the workers, once this request commits; a final payment is refused here."""
        apply_to_each(
            self, request, queryset.select_related("contract"),
            lambda p: payment_compute_enqueue(period=p, user=request.user),
            _("Sent to be computed (the payments list shows them once stored)"),
        )  # fmt: skip

    @admin.display(description=_("late"), boolean=True)
    def late(self, period: Period) -> bool:
        return period.is_late


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False)


class ReviewQueueFilter(QueueFilter):
    """Officials' measurement list opens on what waits for review."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("submitted, awaiting review")),
            ("returned", _("returned, not yet resubmitted")),
            ("all", _("all revisions")),
        ]

    def queryset(self, request, queryset):
        if self.chosen == "waiting":
            return queryset.filter(transition_q(Measurement, "accept"))
        if self.chosen == "returned":
            return queryset.filter(NOT_RESUBMITTED, is_current=True)
        return queryset


@admin.register(Measurement)
class MeasurementAdmin(ScopedAdmin):
    list_display = [
        "period", "kpi", "revision", "is_current", "figure", "state", "submitted_by_name",
        "reviewed_by_name", "review",
    ]  # fmt: skip
    list_filter = [
        ReviewQueueFilter,
        "state",
        "source",
        "is_current",
        "kpi__dimension",
        city_filter("period__contract__project__city"),
    ]
    search_fields = ["period__contract__code", "period__label", "kpi__code", "kpi__name"]
    list_select_related = ["period__contract", "kpi", "submitted_by", "reviewed_by"]
    raw_id_fields = ["period", "kpi", "submitted_by", "reviewed_by"]
    actions = ["accept_selected", "return_selected"]
    action_form = ReasonActionForm

    @admin.display(description=_("value or points"))
    def figure(self, measurement: Measurement) -> str:
        number = measurement.points if measurement.points is not None else measurement.value
        return "—" if number is None else decimal_text(number)

    @admin.display(description=_("review"))
    def review(self, measurement: Measurement) -> str:
        return format_html('<a href="{}">{}</a>', review_url(measurement.period_id), _("period"))

    @admin.action(description=_("Accept the selected measurements"))
    def accept_selected(self, request, queryset):
        apply_to_each(
            self, request, queryset,
            lambda m: measurement_accept(measurement=m, user=request.user),
            _("Accepted"),
        )  # fmt: skip

    @admin.action(description=_("Return the selected measurements (reason required)"))
    def return_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request,
                _("Give a reason in the box next to the action, then run it again."),
                messages.ERROR,
            )
            return
        apply_to_each(
            self, request, queryset,
            lambda m: measurement_return(measurement=m, user=request.user, reason=reason),
            _("Returned"),
        )  # fmt: skip


@admin.register(AvailabilityFailure)
class AvailabilityFailureAdmin(ScopedAdmin):
    list_display = ["period", "area", "weighting", "periods", "used", "failures_in_period"]
    list_filter = ["used"]
    search_fields = ["area", "period__contract__code"]
    list_select_related = ["period__contract"]
    raw_id_fields = ["period"]


@admin.register(DeductionEvent)
class DeductionEventAdmin(ScopedAdmin):
    list_display = ["period", "code", "quantity", "note"]
    list_filter = ["code"]
    search_fields = ["code", "note", "period__contract__code"]
    list_select_related = ["period__contract"]
    raw_id_fields = ["period"]


@admin.register(Evidence)
class EvidenceAdmin(ScopedAdmin):
    list_display = [
        "original_name",
        "measurement",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "download",
    ]
    list_filter = ["content_type", "uploaded_at"]
    search_fields = ["original_name", "sha256", "measurement__period__contract__code"]
    list_select_related = ["measurement__period__contract", "measurement__kpi", "uploaded_by"]
    raw_id_fields = ["measurement", "uploaded_by"]
    readonly_fields = [
        "sha256",
        "size",
        "content_type",
        "original_name",
        "uploaded_by",
        "uploaded_at",
    ]

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="contracts_evidence_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        evidence = get_object_or_404(self.get_queryset(request), pk=pk)
        return evidence_response(evidence)

    @admin.display(description=_("file"))
    def download(self, evidence: Evidence) -> str:
        url = reverse("admin:contracts_evidence_download", args=[evidence.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))


if connection.vendor != "postgresql":
    # pghistory's Events pages query with PostgreSQL's JSON operators (a 500 elsewhere); the
    # events are recorded by PostgreSQL triggers only anyway.
    from pghistory.models import Events

    admin.site.unregister(Events)


from contracts.telemetry import admin as telemetry_admin  # noqa: E402, F401 — ingest keys
