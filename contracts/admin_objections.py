"""Objections in the admin: a scoped list for officials (the period review page is where they
decide, with its buttons), a download for the company's files, and the posts of the review
page's uphold / accept buttons."""

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.admin_base import ServiceOnlyAdmin, city_filter
from contracts.evidence_files import evidence_response
from contracts.models import Objection, ObjectionEvidence
from contracts.services.objections import (
    ActionRefused,
    ObjectionInputError,
    objection_accept,
    objection_uphold,
)
from portfolio.money import MoneyError, money_parse


def objection_evidence_url(evidence: ObjectionEvidence) -> str:
    return reverse("admin:contracts_objection_evidence_download", args=[evidence.pk])


@admin.register(Objection)
class ObjectionAdmin(ServiceOnlyAdmin):
    list_display = [
        "pk", "period", "subject_text", "item", "state", "lodged_by", "lodged_at",
        "window_closes_on", "decided_by", "decided_at", "review_link",
    ]  # fmt: skip
    list_display_links = ["pk", "period"]
    list_filter = ["state", "lodged_at", city_filter("period__contract__project__city")]
    search_fields = ["period__contract__code", "period__label", "reason", "item"]
    list_select_related = [
        "period__contract", "calculation", "measurement__kpi", "lodged_by", "decided_by",
    ]  # fmt: skip
    fields = [
        "period", "calculation", "measurement", "item", "reason", "state", "shown_at",
        "window_closes_on", "contested_official", "lodged_by", "lodged_at", "decided_by",
        "decided_at", "decision_reason", "outcome", "adjustment", "files",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("evidence")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "evidence/<int:pk>/download/",
                view(self.download_view),
                name="contracts_objection_evidence_download",
            ),
            path(
                "<int:pk>/decide/<str:action>/",
                view(self.decide_view),
                name="contracts_objection_decide",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("contested figure"))
    def subject_text(self, objection: Objection) -> str:
        if objection.measurement_id:
            return f"{objection.measurement.kpi.code} r{objection.measurement.revision}"
        return _("payment")

    @admin.display(description=gettext_lazy("files"))
    def files(self, objection: Objection) -> str:
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((objection_evidence_url(e), e.original_name) for e in objection.evidence.all()),
            )
            or "—"
        )

    @admin.display(description=gettext_lazy("review"))
    def review_link(self, objection: Objection) -> str:
        url = reverse("admin:contracts_period_review", args=[objection.period_id])
        return format_html('<a href="{}#objections">{}</a>', url, _("period review"))

    def download_view(self, request: HttpRequest, pk: int):
        evidence = get_object_or_404(ObjectionEvidence.objects.visible_to(request.user), pk=pk)
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        return evidence_response(evidence)

    def decide_view(self, request: HttpRequest, pk: int, action: str):
        """The review page's uphold / accept buttons (the service checks everything again)."""
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:contracts_period_review", args=[objection.period_id])
        if request.method != "POST" or action not in ("uphold", "accept"):
            return HttpResponseRedirect(back)
        reason = request.POST.get("reason", "")[:2000]
        try:
            if action == "uphold":
                objection_uphold(objection=objection, user=request.user, reason=reason)
            else:
                amount_text = request.POST.get("amount", "").strip()
                amount = money_parse(amount_text) if amount_text else None
                objection_accept(
                    objection=objection, user=request.user, reason=reason, amount=amount
                )
        except MoneyError as exc:
            self.message_user(request, f"{_('amount')}: {exc}", messages.ERROR)
        except ObjectionInputError as exc:
            self.message_user(request, exc.reason, messages.ERROR)
        except ActionRefused as exc:
            self.message_user(request, f"#{objection.pk}: {exc}", messages.ERROR)
        else:
            message = (
                _("Objection #%(id)s upheld: the figure stands.")
                if action == "uphold"
                else _("Objection #%(id)s accepted.")
            ) % {"id": objection.pk}
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(back + "#objections")
