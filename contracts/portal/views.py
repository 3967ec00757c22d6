"""Portal pages for enterprise staff. Everything is read through `visible_to(user)`: another
company's contract or period answers 404, like one that does not exist."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import Contract, Measurement, PaymentCalculation, Period, RectificationNotice
from contracts.objection_selectors import period_objections
from contracts.selectors import (
    contract_periods,
    contracts_overview,
    payment_preview,
    period_sheet,
)
from contracts.services.approvals import ActionRefused
from contracts.services.measurements import period_submit
from contracts.services.objections import objection_lodge
from contracts.uploads import XLSX, UploadRejected

from .forms import ObjectionForm, PeriodForm
from .wording import rule_in_words, target_in_words
from .workbooks import template_upload, template_workbook


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
    notices = workflow.awaiting(RectificationNotice.objects.all(), request.user)
    return render(
        request,
        "portal/home.html",
        {
            "overviews": contracts_overview(user=request.user),
            "today": timezone.localdate(),
            "notices_waiting": notices.count(),
        },
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
    sheet = period_sheet(period=period, company=True)
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
        return _render_period(request, period_sheet(period=period, company=True), form)
    if submitting:
        messages.success(request, _("Submitted for review."))
    else:
        messages.success(request, _("Draft saved. Submit the period when every figure is in."))
    return redirect("portal:period", pk=period.pk)


def _template_periods(request, pk: int | None) -> list[Period]:
    """One period of the user's (404 otherwise), or every period of their contracts that
    waits for them (open, or with items returned)."""
    if pk is not None:
        return [
            get_object_or_404(
                Period.objects.visible_to(request.user).select_related("contract"), pk=pk
            )
        ]
    return [p for overview in contracts_overview(user=request.user) for p in overview.periods]


@enterprise_only
def template_download(request, pk: int | None = None):
    periods = _template_periods(request, pk)
    data = template_workbook([period_sheet(period=p, company=True) for p in periods])
    name = f"{periods[0].contract.code}-{periods[0].label}" if pk else "open-periods"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="kpi-template-{name}.xlsx"'
    return response


@enterprise_only
def template_upload_view(request, pk: int | None = None):
    back = redirect("portal:period", pk=pk) if pk else redirect("portal:home")
    upload = request.FILES.get("template")
    if request.method != "POST" or upload is None:
        messages.error(request, _("Choose the filled template to upload."))
        return back
    errors = template_upload(
        upload=upload, periods=_template_periods(request, pk), user=request.user
    )
    if errors:
        return render(
            request,
            "portal/template_errors.html",
            {"errors": errors, "period_pk": pk, "filename": upload.name},
            status=400,
        )
    messages.success(
        request, _("The figures of the sheet are saved as drafts. Check them and submit.")
    )
    return back


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


def _period_of(request, pk: int) -> Period:
    return get_object_or_404(
        Period.objects.visible_to(request.user).select_related("contract"), pk=pk
    )


@enterprise_only
def period_objections_view(request, pk: int):
    """The figures of the period the company may contest, each with its *object* button and
    window, and its objections' progress."""
    period = _period_of(request, pk)
    return render(
        request,
        "portal/objections.html",
        {
            "period": period,
            "contract": period.contract,
            "view": period_objections(period=period, user=request.user),
        },
    )


def _contested(request, period: Period):
    """The figure the form objects to (404 unless it is of this period, within scope)."""
    source = request.POST if request.method == "POST" else request.GET
    if source.get("calculation"):
        model, pk = PaymentCalculation, source.get("calculation")
    else:
        model, pk = Measurement, source.get("measurement")
    if not str(pk or "").isdigit():
        raise Http404
    subject = get_object_or_404(
        model.objects.visible_to(request.user).select_related("period__contract"),
        pk=int(pk),
        period=period,
    )
    return subject, (source.get("item") or "")[:200]


@enterprise_only
def objection_new(request, pk: int):
    """The objection form: reasons and files; a refusal (the window closed on …) is shown
    above it, a bad file beside its field; nothing is lodged unless all of it is right."""
    period = _period_of(request, pk)
    subject, item = _contested(request, period)
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection = objection_lodge(
                subject=subject,
                user=request.user,
                reason=form.cleaned_data["reason"],
                item=item,
                uploads=form.cleaned_data["files"],
            )
        except UploadRejected as exc:
            form.add_error("files", exc.reason)
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Objection #%(id)s lodged: the payment waits until officials decide it.")
                % {"id": objection.pk},
            )
            return redirect("portal:objections", pk=period.pk)
    return render(
        request,
        "portal/objection_form.html",
        {
            "period": period,
            "contract": period.contract,
            "subject": subject,
            "is_payment": isinstance(subject, PaymentCalculation),
            "item": item,
            "form": form,
        },
        status=400 if form.errors else 200,
    )
