"""The period review page: one page where an official checks every KPI of a period with its
evidence and history, accepts or returns items, computes the payment and decides on it.

Every button posts to a small view here that calls a service and comes back; the services
check role, agency and state again, so a stale page cannot do what is no longer allowed."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.admin_messages import action_message
from contracts.admin_selectors import period_review
from contracts.models import COUNTS, Measurement, PaymentAdjustment, PaymentCalculation, Period
from contracts.services.approvals import (
    ActionRefused,
    adjustment_approve,
    adjustment_reject,
    payment_adjust,
    period_reopen,
)
from contracts.services.measurements import measurement_accept, measurement_return
from contracts.services.payments import payment_compute_enqueue
from contracts.telemetry.aggregation import period_telemetry_enqueue
from portfolio.money import MoneyError, money_parse, money_text

# The page refreshes itself this often while a computation runs, for at most this long.
REFRESH_SECONDS = 2
REFRESH_FOR = timedelta(minutes=2)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, strip=True)


def review_url(period_pk: int) -> str:
    return reverse("admin:contracts_period_review", args=[period_pk])


class PeriodReviewMixin:
    """Mixed into PeriodAdmin: the review page and the posts its buttons make."""

    def review_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/review/", view(self.review_view), name="contracts_period_review"),
            path(
                "<int:pk>/review/<int:measurement_pk>/<str:action>/",
                view(self.review_item),
                name="contracts_period_review_item",
            ),
            path(
                "<int:pk>/review/accept-all/",
                view(self.review_accept_all),
                name="contracts_period_accept_all",
            ),
            path("<int:pk>/review/compute/", view(self.review_compute), name="period_compute"),
            path(
                "<int:pk>/review/telemetry/",
                view(self.review_telemetry),
                name="period_telemetry",
            ),
            path("<int:pk>/review/reopen/", view(self.review_reopen), name="period_reopen"),
            path("<int:pk>/review/adjust/", view(self.review_adjust), name="payment_adjust"),
            path(
                "<int:pk>/review/adjustment/<int:adjustment_pk>/<str:action>/",
                view(self.review_adjustment),
                name="adjustment_decide",
            ),
        ]

    def _period(self, request: HttpRequest, pk: int) -> Period:
        queryset = self.get_queryset(request).select_related(
            "contract__private_party", "contract__project", "calculation"
        )
        return get_object_or_404(queryset, pk=pk)

    def review_view(self, request: HttpRequest, pk: int):
        from contracts.admin_payments import payment_buttons  # the payment admin imports us

        period = self._period(request, pk)
        review = period_review(period=period, user=request.user)
        calculation = review.calculation
        period_actions = workflow.allowed_actions(period, request.user)
        buttons = payment_buttons(calculation, request.user) if calculation else []
        computing = _computing_since(request, calculation)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{period.contract.code} {period.label}",
            "period": period,
            "contract": period.contract,
            "review": review,
            "calculation": calculation,
            "amounts": _amounts(review),
            "payment_buttons": buttons,
            "decision_buttons": [b for b in buttons if b != "adjust"],
            "period_actions": period_actions,
            "has_telemetry": any(row.kpi.is_telemetry for row in review.rows),
            "today": timezone.localdate(),
            "computing": computing,
            "refresh_seconds": REFRESH_SECONDS,
            "back": review_url(period.pk),
            **rectification_context(period, request.user),
        }
        return TemplateResponse(request, "admin/contracts/period/review.html", context)

    def _back(self, pk: int, **query) -> HttpResponseRedirect:
        url = review_url(pk)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return HttpResponseRedirect(url)

    def review_item(self, request: HttpRequest, pk: int, measurement_pk: int, action: str):
        period = self._period(request, pk)
        if request.method != "POST" or action not in ("accept", "return"):
            return self._back(pk)
        measurement = get_object_or_404(
            Measurement.objects.select_related("kpi"), pk=measurement_pk, period=period
        )
        try:
            if action == "accept":
                measurement_accept(measurement=measurement, user=request.user)
            else:
                form = ReasonForm(request.POST)
                if not form.is_valid():
                    raise ActionRefused(_("Say why the measurement is returned."))
                measurement_return(
                    measurement=measurement, user=request.user, reason=form.cleaned_data["reason"]
                )
        except ActionRefused as exc:
            self.message_user(request, f"{measurement.kpi.code}: {exc}", messages.ERROR)
        else:
            self.message_user(
                request, action_message(f"measurement_{action}", measurement), messages.SUCCESS
            )
        return self._back(pk)

    def review_accept_all(self, request: HttpRequest, pk: int):
        period = self._period(request, pk)
        if request.method != "POST":
            return self._back(pk)
        waiting = Measurement.objects.filter(
            COUNTS, period=period, is_current=True, state=Measurement.State.SUBMITTED
        ).order_by("pk")
        accepted, refused = 0, []
        for measurement in waiting.select_related("kpi"):
            try:
                measurement_accept(measurement=measurement, user=request.user)
                accepted += 1
            except ActionRefused as exc:
                refused.append(f"{measurement.kpi.code}: {exc}")
        if accepted:
            self.message_user(
                request, action_message("accept_all", period, count=accepted), messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)
        if not accepted and not refused:
            self.message_user(request, _("Nothing waits for review here."), messages.INFO)
        return self._back(pk)

    def review_compute(self, request: HttpRequest, pk: int):
        period = self._period(request, pk)
        if request.method != "POST":
            return self._back(pk)
        try:
            payment_compute_enqueue(period=period, user=request.user)
        except ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._back(pk)
        self.message_user(request, action_message("compute", period), messages.SUCCESS)
        return self._back(pk, computing=int(timezone.now().timestamp()))

    def review_telemetry(self, request: HttpRequest, pk: int):
        """Compute the period's telemetry KPIs again (late records), on a worker."""
        period = self._period(request, pk)
        if request.method != "POST":
            return self._back(pk)
        try:
            period_telemetry_enqueue(period=period, user=request.user)
        except ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._back(pk)
        self.message_user(
            request,
            _("The telemetry KPIs of %(period)s are being computed: reload in a moment.")
            % {"period": period},
            messages.SUCCESS,
        )
        return self._back(pk)

    def review_reopen(self, request: HttpRequest, pk: int):
        period = self._period(request, pk)
        if request.method != "POST":
            return self._back(pk)
        form = ReasonForm(request.POST)
        try:
            if not form.is_valid():
                raise ActionRefused(_("Say why the period is reopened."))
            period_reopen(period=period, user=request.user, reason=form.cleaned_data["reason"])
        except ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, action_message("reopen", period), messages.SUCCESS)
        return self._back(pk)

    def review_adjust(self, request: HttpRequest, pk: int):
        """Propose an adjustment to the period's approved or paid payment."""
        period = self._period(request, pk)
        if request.method != "POST":
            return self._back(pk)
        calculation = get_object_or_404(PaymentCalculation, period=period)
        try:
            amount = money_parse(request.POST.get("amount", ""))
            adjustment = payment_adjust(
                calculation=calculation,
                user=request.user,
                amount=amount,
                reason=request.POST.get("reason", "")[:2000],
            )
        except MoneyError as exc:
            self.message_user(request, f"{_('amount')}: {exc}", messages.ERROR)
        except ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, action_message("adjust_propose", adjustment), messages.SUCCESS
            )
        return self._back(pk)

    def review_adjustment(self, request: HttpRequest, pk: int, adjustment_pk: int, action: str):
        """Approve or reject a proposed adjustment (four eyes: the services check)."""
        period = self._period(request, pk)
        if request.method != "POST" or action not in ("approve", "reject"):
            return self._back(pk)
        adjustment = get_object_or_404(
            PaymentAdjustment.objects.select_related("calculation__period__contract"),
            pk=adjustment_pk,
            calculation__period=period,
        )
        try:
            if action == "approve":
                adjustment_approve(adjustment=adjustment, user=request.user)
            else:
                adjustment_reject(
                    adjustment=adjustment,
                    user=request.user,
                    reason=request.POST.get("reason", "")[:2000],
                )
        except ActionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, action_message(f"adjust_{action}", adjustment), messages.SUCCESS
            )
        return self._back(pk)


def rectification_context(period: Period, user) -> dict:
    """The review page's Rectification panel: the period's notices and the issue form."""
    from contracts.admin_rectifications import IssueForm, period_rectifications

    return {
        "rectifications": period_rectifications(period=period, user=user),
        "can_issue": workflow.rectification_issue_refusal(period, user) is None,
        "issue_form": IssueForm(period=period),
        "today": timezone.localdate(),
    }


def _computing_since(request: HttpRequest, calculation) -> bool:
    """Whether the page should keep refreshing: a computation was asked for (the `computing`
    timestamp the compute button added), no newer calculation is stored, and not for long."""
    try:
        asked = datetime.fromtimestamp(int(request.GET["computing"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return False
    if timezone.now() - asked > REFRESH_FOR:
        return False
    return calculation is None or calculation.computed_at.replace(microsecond=0) < asked


def _amounts(review) -> list[tuple[str, str]]:
    calculation = review.calculation
    if calculation is None:
        return []
    rows = [
        (_("full amount"), money_text(calculation.full_amount)),
        (_("deduction"), money_text(-calculation.deduction)),
        (_("payable"), money_text(calculation.payable)),
    ]
    rows += [
        (_("adjustment: %(reason)s") % {"reason": a.reason}, money_text(a.amount))
        for a in review.adjustments
        if a.state == PaymentAdjustment.State.APPROVED
    ]
    return rows
