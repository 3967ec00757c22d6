"""Report pages for auditors and officials (enterprise staff see their company's reports):
the report library, asking for a report, its progress until ready, and verifying a PDF.
Scoped like the API (`Report.objects.visible_to`); the download is the API's."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from .filtersets import ReportFilterSet
from .forms import ContractReportForm, PortfolioReportForm, VerifyForm
from .models import Report
from .services import ReportRefused, may_request_portfolio_report, report_request_by_names
from .verification import report_verify

PAGE_SIZE = 50


@login_required
def library(request):
    reports = (
        Report.objects.visible_to(request.user)
        .select_related("contract", "period", "city")
        .defer("inputs")
        .order_by("-created_at", "-pk")
    )
    filters = ReportFilterSet(request.GET, queryset=reports, request=request)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/pages/library.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "contract_form": ContractReportForm(initial=request.GET),
            "portfolio_form": PortfolioReportForm(initial=request.GET),
            "may_request_portfolio": may_request_portfolio_report(request.user),
        },
    )


@login_required
def request_report(request):
    """POST a contract period or a city year: the report (new, or unchanged and stored)."""
    if request.method != "POST":
        return redirect("reports:library")
    user = request.user
    kind = request.POST.get("kind")
    form = (ContractReportForm if kind == "contract" else PortfolioReportForm)(request.POST)
    error = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            report, _ = report_request_by_names(
                user=user,
                language=data["language"],
                contract_code=data["contract"] if kind == "contract" else "",
                period_label=data.get("period", ""),
                city_name=data.get("city", ""),
                year=data.get("year"),
            )
            return redirect("reports:detail", pk=report.pk)
        except ReportRefused as exc:
            error = str(exc)
    return render(
        request,
        "reports/pages/request_refused.html",
        {"form": form, "error": error},
        status=400,
    )


@login_required
def detail(request, pk: int):
    report = get_object_or_404(
        Report.objects.visible_to(request.user).select_related("contract", "period", "city"),
        pk=pk,
    )
    working = report.state in (Report.State.PENDING, Report.State.RENDERING)
    return render(request, "reports/pages/detail.html", {"report": report, "working": working})


@login_required
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = report_verify(
            user=request.user, pdf=form.cleaned_data["file"], sha256=form.cleaned_data["sha256"]
        )
    return render(request, "reports/pages/verify.html", {"form": form, "result": result})
