"""Telemetry in the admin: streams, the fingerprint's day sums (read-only) and ingest keys.

Ingest keys: officials of the contract's agency issue them (the key is shown
once, on the page that follows) and revoke them; everyone who may see the contract sees the
list (prefix, contract, last use, state)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from contracts.admin_base import ScopedAdmin, ServiceOnlyAdmin, apply_to_each, is_official
from contracts.models import Contract, IngestKey, TelemetryDigest, TelemetryStream
from contracts.telemetry.keys import KEY_PREFIX, ingest_key_issue, ingest_key_revoke
from contracts.workflow import ActionRefused


@admin.register(TelemetryStream)
class TelemetryStreamAdmin(ScopedAdmin):
    """A contract's streams: superusers define them, whoever sees the contract reads them.
    (Their records have a composite key, which the admin cannot show: the raw export does.)"""

    list_display = ["code", "contract", "kind", "interval_seconds", "value_field", "status_field"]
    list_filter = ["kind"]
    list_select_related = ["contract"]
    search_fields = ["code", "contract__code", "contract__title"]
    autocomplete_fields = ["contract"]


@admin.register(TelemetryDigest)
class TelemetryDigestAdmin(ServiceOnlyAdmin):
    """The fingerprint's day sums, read-only: what a period's fingerprint adds up
    (docs/telemetry.md, Fingerprint), written with the records by the ingest service."""

    list_display = ["stream", "device", "day", "records", "hash_sum"]
    list_select_related = ["stream__contract"]
    search_fields = ["device", "stream__code", "stream__contract__code"]
    date_hierarchy = "day"


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("revoked", _("revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class IssueForm(forms.Form):
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), label=_("contract"))
    name = forms.CharField(
        label=_("name"), max_length=100, help_text=_("what sends with it, e.g. the WiFi controller")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The official's agency's contracts: the only ones they may issue keys for.
        self.fields["contract"].queryset = Contract.objects.filter(
            government_party_id=user.party_id
        ).order_by("code")


@admin.register(IngestKey)
class IngestKeyAdmin(ServiceOnlyAdmin):
    list_display = [
        "key_prefix", "name", "contract", "state", "created_at", "created_by_name",
        "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_filter = [StateFilter]
    list_select_related = ["contract", "created_by"]
    search_fields = ["prefix", "name", "contract__code"]
    fields = [
        "contract", "name", "key_prefix", "state", "created_by", "created_at", "last_used_at",
        "revoked_by", "revoked_at",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["revoke"]
    change_list_template = "admin/contracts/ingestkey/change_list.html"

    @admin.display(description=_("key"))
    def key_prefix(self, key: IngestKey) -> str:
        return f"{KEY_PREFIX}{key.prefix}_…"

    @admin.display(description=_("state"))
    def state(self, key: IngestKey) -> str:
        return str(_("active")) if key.is_active else str(_("revoked"))

    def get_actions(self, request: HttpRequest):
        # Only officials may revoke: nobody else is offered the action.
        actions = super().get_actions(request)
        if not is_official(request.user):
            actions.pop("revoke", None)
        return actions

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset):
        apply_to_each(
            self,
            request,
            queryset.select_related("contract"),
            lambda key: ingest_key_revoke(key=key, user=request.user),
            str(_("Revoked")),
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        context = {"may_issue": is_official(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("issue/", view(self.issue_view), name="contracts_ingestkey_issue"),
            *super().get_urls(),
        ]

    def issue_view(self, request: HttpRequest):
        """An official issues a key for one of their agency's contracts; the key is shown on
        the page that answers (once: only its hash is stored)."""
        if not is_official(request.user):
            raise PermissionDenied
        form = IssueForm(request.POST or None, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Issue an ingest key"),
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            try:
                key, secret = ingest_key_issue(
                    contract=form.cleaned_data["contract"],
                    name=form.cleaned_data["name"],
                    user=request.user,
                )
            except ActionRefused as exc:
                form.add_error(None, str(exc))
            else:
                stream = key.contract.telemetry_streams.order_by("code").first()
                context.update(
                    title=_("Ingest key issued"),
                    key=key,
                    secret=secret,
                    stream_code=stream.code if stream else "STREAM",
                    api_root=request.build_absolute_uri(reverse("api-root")).rstrip("/"),
                )
                response = TemplateResponse(
                    request, "admin/contracts/ingestkey/issued.html", context
                )
                response["Cache-Control"] = "no-store"  # the key is on this page only
                return response
        return TemplateResponse(request, "admin/contracts/ingestkey/issue.html", context)
