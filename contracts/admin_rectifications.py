"""The officials' rectification notices (整改) and the contract's monitoring page (绩效监控).

Notices are issued from the period review page (its *Rectification* panel) and decided
there or on the notices list's page, which opens on what waits for the official (answers to
verify); every button posts to a view here that calls a service. The monitoring page
(`/admin/contracts/contract/<id>/monitoring/`) reads `contracts.monitoring` for one contract."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts import workflow
from contracts.admin_base import QueueFilter, ServiceOnlyAdmin, city_filter
from contracts.admin_review import review_url
from contracts.evidence_files import evidence_response
from contracts.models import (
    KPI,
    Contract,
    Period,
    RectificationFile,
    RectificationNotice,
    overdue_rectification_q,
)
from contracts.monitoring import contracts_monitoring
from contracts.services import rectifications as r
from reports.charts import monitoring_charts


class IssueForm(forms.Form):
    kpi = forms.ModelChoiceField(
        queryset=KPI.objects.none(), required=False, label=gettext_lazy("KPI")
    )
    problem = forms.CharField(
        max_length=r.TEXT_MAX_LENGTH, label=gettext_lazy("problem and its cause")
    )
    required_action = forms.CharField(
        max_length=r.TEXT_MAX_LENGTH, label=gettext_lazy("required action")
    )
    deadline = forms.DateField(label=gettext_lazy("deadline"))

    def __init__(self, *args, period: Period, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = KPI.objects.filter(
            mechanism_version__contract=period.contract_id
        ).select_related("mechanism_version")


def period_rectifications(*, period: Period, user) -> list[RectificationNotice]:
    """The period's notices, oldest first, each with its files and the actions `user` may
    take (`notice.actions`), in two queries."""
    notices = list(
        RectificationNotice.objects.filter(period=period)
        .select_related("kpi", "issued_by", "answered_by", "sent_back_by", "verified_by")
        .prefetch_related("files")
        .order_by("issued_at", "pk")
    )
    for notice in notices:
        notice.period = period  # the table reads the contract: no query per notice
        notice.actions = workflow.allowed_actions(notice, user)
    return notices


class RectificationReviewMixin:
    """Mixed into PeriodAdmin: issuing a notice from the review page, and deciding on one."""

    def rectification_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/review/rectification/",
                view(self.rectification_issue_view),
                name="rectification_issue",
            ),
            path(
                "<int:pk>/review/rectification/<int:notice_pk>/<str:action>/",
                view(self.rectification_decide_view),
                name="rectification_decide",
            ),
        ]

    def rectification_issue_view(self, request: HttpRequest, pk: int):
        period = self._period(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(review_url(pk))
        form = IssueForm(request.POST, period=period)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else name
                self.message_user(request, f"{label}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(review_url(pk) + "#rectification")
        try:
            notice = r.rectification_issue(period=period, user=request.user, **form.cleaned_data)
        except r.RectificationInvalid as exc:
            for reason in exc.errors.values():
                self.message_user(request, reason, messages.ERROR)
        except r.ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Rectification notice issued to %(company)s, due %(deadline)s.")
                % {"company": period.contract.private_party, "deadline": notice.deadline},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(review_url(pk) + "#rectification")

    def rectification_decide_view(self, request: HttpRequest, pk: int, notice_pk: int, action):
        period = self._period(request, pk)
        back = request.POST.get("next") or review_url(pk) + "#rectification"
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = review_url(pk)
        if request.method != "POST" or action not in ("verify", "send_back"):
            return HttpResponseRedirect(back)
        notice = get_object_or_404(RectificationNotice, pk=notice_pk, period=period)
        try:
            if action == "verify":
                r.rectification_verify(notice=notice, user=request.user)
                done = _("Rectification notice verified and closed.")
            else:
                r.rectification_send_back(
                    notice=notice, user=request.user, reason=request.POST.get("reason", "")
                )
                done = _("Rectification notice sent back to the company.")
        except r.RectificationInvalid as exc:
            self.message_user(request, " ".join(exc.errors.values()), messages.ERROR)
        except r.ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(back)


class NoticeQueueFilter(QueueFilter):
    title = gettext_lazy("rectification")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [
            ("me", _("awaiting my action")),
            ("overdue", _("overdue")),
            ("open", _("open (not verified)")),
            ("all", _("all notices")),
        ]

    def queryset(self, request, queryset):
        if self.chosen == "me":
            return workflow.awaiting(queryset, request.user)
        if self.chosen == "overdue":
            return queryset.filter(overdue_rectification_q(timezone.localdate()))
        if self.chosen == "open":
            return queryset.exclude(state=RectificationNotice.State.VERIFIED)
        return queryset


@admin.register(RectificationNotice)
class RectificationNoticeAdmin(ServiceOnlyAdmin):
    list_display = [
        "period", "kpi", "state", "deadline", "overdue", "issued_by", "issued_at", "review",
    ]  # fmt: skip
    list_filter = [NoticeQueueFilter, "state", city_filter("period__contract__project__city")]
    search_fields = ["period__contract__code", "period__label", "problem", "answer"]
    list_select_related = ["period__contract", "kpi", "issued_by"]
    readonly_fields = [
        "period", "kpi", "problem", "required_action", "deadline", "state", "issued_by",
        "issued_at", "answer", "answered_by", "answered_at", "send_back_reason",
        "sent_back_by", "sent_back_at", "verified_by", "verified_at",
    ]  # fmt: skip
    fields = readonly_fields

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def overdue(self, notice: RectificationNotice) -> bool:
        return notice.is_overdue()

    @admin.display(description=gettext_lazy("review"))
    def review(self, notice: RectificationNotice) -> str:
        return format_html(
            '<a href="{}#rectification">{}</a>', review_url(notice.period_id), _("review")
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "files/<int:pk>/download/",
                view(self.file_download),
                name="contracts_rectificationnotice_file",
            ),
            *super().get_urls(),
        ]

    def file_download(self, request: HttpRequest, pk: int):
        """A closure file, after the same scope check as its notice."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return evidence_response(
            get_object_or_404(RectificationFile.objects.visible_to(request.user), pk=pk)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Officials decide on a notice beside its period's figures: the review page."""
        notice = self.get_object(request, object_id) if str(object_id).isdigit() else None
        if notice is not None and not request.user.is_superuser:
            return HttpResponseRedirect(review_url(notice.period_id) + "#rectification")
        return super().change_view(request, object_id, form_url, extra_context)


class MonitoringMixin:
    """Mixed into ContractAdmin: the contract's monitoring page."""

    def monitoring_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/monitoring/",
                view(self.monitoring_view),
                name="contracts_contract_monitoring",
            )
        ]

    def monitoring_view(self, request: HttpRequest, pk: int):
        contract = get_object_or_404(
            self.get_queryset(request).select_related("project", "private_party"), pk=pk
        )
        watch = contracts_monitoring(contract_ids=[contract.pk], today=timezone.localdate())[
            contract.pk
        ]
        monitoring_charts(watch)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Monitoring: %(contract)s") % {"contract": contract},
            "contract": contract,
            "watch": watch,
        }
        return TemplateResponse(request, "admin/contracts/contract/monitoring.html", context)

    @admin.display(description=gettext_lazy("monitoring"))
    def monitoring(self, contract: Contract) -> str:
        url = reverse("admin:contracts_contract_monitoring", args=[contract.pk])
        return format_html('<a href="{}">{}</a>', url, _("monitoring"))
