"""Portal pages for enterprise staff. Everything is read through `visible_to(user)`: another
company's contract or period answers 404, like one that does not exist."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import Contract, Period
from contracts.selectors import (
    contract_periods,
    contracts_overview,
    payment_preview,
    period_sheet,
)
from contracts.services.approvals import ActionRefused
from contracts.services.measurements import period_submit

from .forms import PeriodForm
from .wording import rule_in_words, target_in_words


def enterprise_only(view):
    """Officials and auditors have places of their own: the start page sends them there."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.role != request.user.Role.ENTERPRISE:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper


@enterprise_only
def home(request):
    return render(
        request,
        "portal/home.html",
        {"overviews": contracts_overview(user=request.user), "today": timezone.localdate()},
    )


@enterprise_only
def contract_detail(request, pk: int):
    contract = get_object_or_404(
        Contract.objects.visible_to(request.user).select_related("project", "government_party"),
        pk=pk,
    )
    return render(
        request,
        "portal/contract.html",
        {
            "contract": contract,
            "periods": contract_periods(contract=contract),
            "today": timezone.localdate(),
        },
    )


@enterprise_only
def period_detail(request, pk: int):
    period = get_object_or_404(
        Period.objects.visible_to(request.user).select_related("contract"), pk=pk
    )
    sheet = period_sheet(period=period)
    if request.method != "POST":
        return _render_period(request, sheet, PeriodForm(sheet=sheet))
    submitting = "submit" in request.POST
    form = PeriodForm(request.POST, request.FILES, sheet=sheet, submitting=submitting)
    form.is_valid()
    form.save(user=request.user)
    if not form.errors and submitting:
        try:
            period_submit(period=period, user=request.user)
        except ActionRefused as exc:
            form.add_error(None, str(exc))
    if form.errors:
        # The same bound form (typed text kept), over the figures and files now stored.
        return _render_period(request, period_sheet(period=period), form)
    if submitting:
        messages.success(request, _("Submitted for review."))
    else:
        messages.success(request, _("Draft saved. Submit the period when every figure is in."))
    return redirect("portal:period", pk=period.pk)


def _render_period(request, sheet, form: PeriodForm):
    editable = {row.kpi.pk for row in form.rows}
    preview = payment_preview(sheet=sheet)
    points = preview.result.kpi_points if preview.result else {}
    items = [
        {
            "row": row,
            "rule": rule_in_words(row.document),
            "target": target_in_words(row.document),
            "value_field": form[form.value_name(row)] if row.kpi.pk in editable else None,
            "files_field": form[form.files_name(row)] if row.kpi.pk in editable else None,
            "estimate": points.get(row.kpi.code),
        }
        for row in sheet.rows
    ]
    return render(
        request,
        "portal/period.html",
        {
            "period": sheet.period,
            "contract": sheet.period.contract,
            "items": items,
            "form": form,
            "preview": preview,
            "today": timezone.localdate(),
            # Why the period cannot be submitted now (e.g. it has not ended), else None.
            "submit_refused": workflow.refusal(sheet.period, "submit", request.user),
        },
    )
