"""The officials' workplace for payments: a queue of what awaits them, a payment page with
everything to check before deciding, and the decisions as buttons and bulk actions.

The period's evaluation report is made here too: officials write its 问题及原因 and 建议 on
the payment page, beside the figures those texts are about, and generate it from there or
for many payments at once from the list."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from contracts import workflow
from contracts.engine.grades import GRADE_FLOORS, LOWEST_GRADE
from contracts.models import (
    Contract,
    Decision,
    NotificationSent,
    PaymentAdjustment,
    PaymentCalculation,
    PaymentRun,
)
from contracts.periods import LABEL_PATTERNS
from contracts.selectors import payment_review
from contracts.services import approvals
from contracts.services.payment_runs import payment_run_start
from contracts.workflow import ActionRefused
from portfolio.models import Project
from portfolio.money import money_text
from reports.admin import report_message
from reports.selectors import period_reports
from reports.services import ReportRefused, may_write_texts, report_request, report_texts_update

from .admin_base import (
    CappedPaginator,
    QueueFilter,
    ServiceOnlyAdmin,
    apply_to_each,
    city_filter,
)
from .admin_messages import action_message
from .admin_review import REFRESH_SECONDS, review_url


class AwaitingMyActionFilter(QueueFilter):
    """Officials' payment list opens on what waits for them; "all" shows every payment."""

    title = _("my queue")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", _("awaiting my action")), ("all", _("all payments"))]

    def queryset(self, request, queryset):
        if self.chosen == "me":
            return workflow.awaiting(queryset, request.user)
        return queryset


class ProjectFilter(admin.SimpleListFilter):
    """The projects of the official's payments; too many to list means: use the search."""

    title = _("project")
    parameter_name = "project"
    max_listed = 200

    def lookups(self, request, model_admin):
        projects = Project.objects.visible_to(request.user).order_by("code")
        listed = list(projects.values_list("code", "name")[: self.max_listed + 1])
        return [] if len(listed) > self.max_listed else listed

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(period__contract__project__code=self.value())
        return queryset


class GradeFilter(admin.SimpleListFilter):
    """The MoF grades, listed from the engine (not read back from 100,000 rows)."""

    title = _("grade")
    parameter_name = "grade"

    def lookups(self, request, model_admin):
        grades = [grade for _floor, grade in GRADE_FLOORS] + [LOWEST_GRADE]
        return [(grade, grade) for grade in grades]

    def queryset(self, request, queryset):
        return queryset.filter(grade=self.value()) if self.value() else queryset


class ReportTextsForm(forms.Form):
    findings = forms.CharField(
        label=_("Problems and causes"), required=False, max_length=10000, widget=forms.Textarea
    )
    recommendations = forms.CharField(
        label=_("Recommendations"), required=False, max_length=10000, widget=forms.Textarea
    )


class MarkPaidForm(forms.Form):
    """The payment page's mark-paid form: a date that exists (2026-02-30 was a 500), from
    2000 to today, and a reference the column holds."""

    reference = forms.CharField(
        label=_("Payment reference"), max_length=approvals.REFERENCE_MAX_LENGTH
    )
    paid_on = forms.DateField(label=_("Paid on"))

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if problem := approvals.paid_on_problem(paid_on):
            raise forms.ValidationError(problem)
        return paid_on


@admin.register(PaymentRun)
class PaymentRunAdmin(ServiceOnlyAdmin):
    list_display = ["label", "state", "progress", "done", "failed", "total", "created_at"]
    list_filter = ["state", "label"]
    search_fields = ["label"]

    def get_queryset(self, request: HttpRequest):
        # A run is the whole portfolio's period (it spans agencies): every official sees the
        # runs and their progress counts, which name no contract; the problems, which do,
        # are scoped on the run's page (get_object).
        return PaymentRun.objects.all()

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        """The run with the problems of the contracts the user may see only (the rest of
        the list is another agency's business). Shown, never saved: runs are read-only."""
        run = super().get_object(request, object_id, from_field)
        if run is not None:
            codes = {p.get("contract") for p in run.problems}
            visible = set(
                Contract.objects.visible_to(request.user)
                .filter(code__in=codes)
                .values_list("code", flat=True)
            )
            run.problems = [p for p in run.problems if p.get("contract") in visible]
        return run

    change_list_template = "admin/contracts/paymentrun/change_list.html"

    @admin.display(description=_("progress"))
    def progress(self, run: PaymentRun) -> str:
        finished = run.done + run.failed
        return f"{finished}/{run.total} ({100 * finished // run.total if run.total else 100}%)"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("start/", view(self.start_view), name="payment_run_start"),
            path("<int:pk>/progress/", view(self.progress_view), name="payment_run_progress"),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest):
        """A period run for one label, started by an official; its progress page follows."""
        if not self.has_view_permission(request) or not (
            request.user.is_superuser or request.user.role in ("preparer", "approver")
        ):
            raise PermissionDenied
        form = PaymentRunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = payment_run_start(label=form.cleaned_data["label"], user=request.user)
            return HttpResponseRedirect(reverse("admin:payment_run_progress", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Start a period run"),
            "form": form,
        }
        return TemplateResponse(request, "admin/contracts/paymentrun/start.html", context)

    def progress_view(self, request: HttpRequest, pk: int):
        """The run's progress; the page refreshes itself until the run is done."""
        run = get_object_or_404(self.get_queryset(request), pk=pk)
        finished = run.done + run.failed
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Period run %(label)s") % {"label": run.label},
            "run": run,
            "running": run.state == PaymentRun.State.RUNNING,
            "percent": 100 * finished // run.total if run.total else 100,
            "refresh_seconds": REFRESH_SECONDS,
        }
        return TemplateResponse(request, "admin/contracts/paymentrun/progress.html", context)


class PaymentRunForm(forms.Form):
    label = forms.CharField(
        label=_("period label"),
        max_length=7,
        help_text=_("2026, 2026-Q1 or 2026-03: every contract period with this label"),
    )

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not any(pattern.match(label) for pattern in LABEL_PATTERNS.values()):
            raise forms.ValidationError(_("Write the label as 2026, 2026-Q1 or 2026-03."))
        return label


@admin.register(PaymentCalculation)
class PaymentCalculationAdmin(ServiceOnlyAdmin):
    change_form_template = "admin/contracts/paymentcalculation/change_form.html"
    list_display = [
        "contract", "period_label", "enterprise", "state", "grade", "payable_text",
        "prepared_by_name", "approved_by_name",
    ]  # fmt: skip
    list_filter = [
        AwaitingMyActionFilter, "state", city_filter("period__contract__project__city"),
        ProjectFilter,
        "period__label", GradeFilter,
    ]  # fmt: skip
    search_fields = [
        "period__contract__code", "period__contract__private_party__name",
        "period__contract__project__name",
    ]  # fmt: skip
    ordering = ["-pk"]  # newest first, straight off the primary key however many there are
    list_select_related = ["period__contract__private_party", "prepared_by", "approved_by"]
    actions = ["prepare_selected", "approve_selected", "generate_reports"]
    # The review above the form shows the figures; the form adds who and when.
    readonly_fields = [
        "mechanism_version", "computed_at", "computed_via", "task_id", "prepared_by",
        "prepared_at", "approved_by", "approved_at", "paid_reference", "paid_on",
    ]  # fmt: skip
    fields = readonly_fields

    # 50 rows a page, counted up to COUNT_CAP: at 100,000 payments rendering rows and counting
    # over the scoped join are where the list's time goes.
    list_per_page = 50
    paginator = CappedPaginator

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_view_permission(request, obj)  # the page, read-only, with buttons

    def get_queryset(self, request: HttpRequest):
        """The list never shows a calculation's inputs and result: not read for its rows."""
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            queryset = queryset.defer("inputs", "result")
        return queryset

    @admin.display(description=_("contract"), ordering="period__contract__code")
    def contract(self, calculation: PaymentCalculation) -> str:
        return calculation.period.contract.code

    @admin.display(description=_("period"), ordering="period__starts_on")
    def period_label(self, calculation: PaymentCalculation) -> str:
        return calculation.period.label

    @admin.display(description=_("payable"), ordering="payable")
    def payable_text(self, calculation: PaymentCalculation) -> str:
        return money_text(calculation.payable)

    @admin.display(description=_("enterprise"), ordering="period__contract__private_party__name")
    def enterprise(self, calculation: PaymentCalculation) -> str:
        return calculation.period.contract.private_party.name

    @admin.action(description=_("Prepare the selected payments"))
    def prepare_selected(self, request, queryset):
        apply_to_each(
            self, request, queryset,
            lambda c: approvals.payment_prepare(calculation=c, user=request.user),
            _("Prepared"),
        )  # fmt: skip

    @admin.action(description=_("Approve the selected payments"))
    def approve_selected(self, request, queryset):
        apply_to_each(
            self, request, queryset,
            lambda c: approvals.payment_approve(calculation=c, user=request.user),
            _("Approved"),
        )  # fmt: skip

    @admin.action(description=_("Generate the evaluation reports of the selected payments"))
    def generate_reports(self, request, queryset):
        """The periods' contract reports in Chinese (a new version only where something
        changed); English ones and the texts are on each payment's page."""
        for calculation in queryset.select_related("period__contract"):
            try:
                report, created = report_request(
                    user=request.user,
                    contract=calculation.period.contract,
                    period_label=calculation.period.label,
                )
            except ReportRefused as exc:
                self.message_user(request, f"{calculation}: {exc}", messages.ERROR)
            else:
                self.message_user(request, report_message(report, created), messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/<str:action>/", view(self.decide), name="payment_decide"),
            path("<int:pk>/report/<str:language>/", view(self.report), name="payment_report"),
            *super().get_urls(),
        ]

    def decide(self, request: HttpRequest, pk: int, action: str):
        """The buttons of the payment page post here."""
        calculation = get_object_or_404(
            self.get_queryset(request).select_related("period__contract"), pk=pk
        )
        back = reverse("admin:contracts_paymentcalculation_change", args=[pk])
        # The period review page posts here too and wants to come back to itself.
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            back = next_url
        if request.method != "POST":
            return HttpResponseRedirect(back)
        data, user = request.POST, request.user
        decisions = {
            "prepare": lambda: approvals.payment_prepare(calculation=calculation, user=user),
            "approve": lambda: approvals.payment_approve(calculation=calculation, user=user),
            "return": lambda: approvals.payment_return(
                calculation=calculation, user=user, reason=data.get("reason", "")
            ),
            "mark_paid": lambda: approvals.payment_mark_paid(
                calculation=calculation, user=user, **paid.cleaned_data
            ),
        }
        if action not in decisions:
            return HttpResponseRedirect(back)
        paid = MarkPaidForm(data)
        if action == "mark_paid" and not paid.is_valid():
            for field, errors in paid.errors.items():
                self.message_user(
                    request, f"{paid[field].label}: {' '.join(errors)}", messages.ERROR
                )
            return HttpResponseRedirect(back)
        try:
            decisions[action]()
        except (ActionRefused, ValueError) as exc:  # ValueError: a paid-on date not a date
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, action_message(action, calculation), messages.SUCCESS)
        return HttpResponseRedirect(back)

    def report(self, request: HttpRequest, pk: int, language: str):
        """The texts form of the payment page posts here: the period's report in `language`
        with these texts (a new version, or the existing one if nothing changed)."""
        calculation = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:contracts_paymentcalculation_change", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = ReportTextsForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(
                    request, f"{form[field].label}: {' '.join(errors)}", messages.ERROR
                )
            return HttpResponseRedirect(back)
        try:
            report, created = report_texts_update(
                user=request.user,
                contract=calculation.period.contract,
                period_label=calculation.period.label,
                language=language,
                **form.cleaned_data,
            )
        except ReportRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, report_message(report, created), messages.SUCCESS)
        return HttpResponseRedirect(back)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        calculation = get_object_or_404(self.get_queryset(request), pk=object_id)
        user = request.user
        context = {
            **payment_review(calculation=calculation),
            "calculation": calculation,
            "contract": calculation.period.contract,
            "actions_allowed": payment_buttons(calculation, user),
            "review_url": review_url(calculation.period_id),
            "reports": _reports_with_forms(calculation),
            "may_write_texts": may_write_texts(user, calculation.period.contract),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)


def _reports_with_forms(calculation: PaymentCalculation) -> list[dict]:
    """The period's report in each language, with its texts form filled with the latest
    version's texts (what the next version starts from)."""
    items = period_reports(period=calculation.period)
    for item in items:
        report = item["report"]
        item["form"] = ReportTextsForm(
            initial={
                "findings": report.findings if report else "",
                "recommendations": report.recommendations if report else "",
            },
            auto_id=f"id_{item['language']}_%s",
        )
    return items


# The decisions the payment page and the review page offer as buttons.
DECISIONS = ("prepare", "approve", "return", "mark_paid", "adjust")


def payment_buttons(calculation: PaymentCalculation, user) -> list[str]:
    """The buttons to show: what the workflow table allows this official now (the services
    check the same table again when one is pressed)."""
    return [a for a in workflow.allowed_actions(calculation, user) if a in DECISIONS]


@admin.register(Decision)
class DecisionAdmin(ServiceOnlyAdmin):
    list_display = ["created_at", "period", "action", "user", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["period__contract__code", "user__username", "reason"]
    list_select_related = ["period__contract", "user"]


@admin.register(PaymentAdjustment)
class PaymentAdjustmentAdmin(ServiceOnlyAdmin):
    list_display = [
        "created_at", "calculation", "amount", "state", "reason", "created_by", "decided_by",
    ]  # fmt: skip
    list_filter = ["state", "created_at"]
    search_fields = ["calculation__period__contract__code", "reason"]
    list_select_related = ["calculation__period__contract", "created_by", "decided_by"]


@admin.register(NotificationSent)
class NotificationSentAdmin(admin.ModelAdmin):
    """Which e-mail went to whom, once (superusers only: recipients span agencies)."""

    list_display = ["sent_at", "event", "recipient"]
    search_fields = ["event", "recipient"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
