"""The portfolio dashboard: server-rendered pages that only call the dashboard selectors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.exports import EXPORT_FORMATS, Column, table_response
from reports.charts import budget_chart, chart_labels, monitoring_charts, score_payable_chart

from .forms import DashboardFilterForm
from .selectors import dashboard_cities, dashboard_project


@login_required
def index(request):
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, user=request.user)
    page = dashboard_cities(
        user=request.user, today=today, filters=form.filters(), page=request.GET.get("page", 1)
    )
    labels = chart_labels()
    for city in page.cities:
        this_year = city.fiscal_years[0]
        city.chart = (
            budget_chart(
                {"general_expenditure": this_year.general_expenditure, "share": this_year.share},
                labels=labels,
                width=460,  # drawn at the column's size, so its words stay readable
            )
            if this_year.general_expenditure
            else ""
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/index.html",
        {
            "form": form,
            "page": page,
            "cities": page.cities,
            "query": query.urlencode(),
            "today": today,
            "is_enterprise": request.user.role == request.user.Role.ENTERPRISE,
            "export_formats": EXPORT_FORMATS,
            "export_tables": [("cities", _("cities")), ("projects", _("projects"))],
        },
    )


@login_required
def project(request, pk: int):
    page = dashboard_project(user=request.user, project_id=pk, today=timezone.localdate())
    if page is None:
        raise Http404
    labels = chart_labels()
    for row in page.contracts:
        row.history = page.history.get(row.contract.pk, [])
        row.chart = score_payable_chart(row.history, labels=labels) if row.history else ""
        row.milestones = page.milestones.get(row.contract.pk, [])
        row.all_flags = page.flags.for_contract(row.contract)
        row.watch = page.flags.monitoring.get(row.contract.pk)
        if row.watch is not None:
            monitoring_charts(row.watch)
    return render(request, "dashboard/project.html", {"page": page, "today": timezone.localdate()})


CITY_COLUMNS = [
    Column("city", _("city")), Column("province", _("province")),
    Column("year", _("year"), "number"),
    Column("budget", _("general public budget expenditure"), "money"),
    Column("obligations", _("PPP payment obligations"), "money"),
    # xgettext:no-python-format
    Column("share", _("share (%)"), "number"), Column("level", _("status")),
]  # fmt: skip
LEVELS = {
    # xgettext:no-python-format
    "danger": _("above the 10% ceiling"),
    # xgettext:no-python-format
    "warning": _("above the 5% line"),
    # xgettext:no-python-format
    "ok": _("within the 5% line"),
    "unknown": _("no budget recorded"),
}
PROJECT_COLUMNS = [
    Column("city", _("city")), Column("project", _("project code")),
    Column("name", _("project")), Column("sector", _("sector")), Column("stage", _("stage")),
    Column("investment", _("total investment"), "money"), Column("contract", _("contract")),
    Column("period", _("latest period")), Column("score", _("score"), "number"),
    Column("grade", _("grade")), Column("awaiting", _("awaiting approval"), "number"),
    Column("flags", _("compliance")),
]  # fmt: skip


@login_required
def export(request, table: str, fmt: str):
    """The dashboard's city or project table, as filtered, every page, as CSV or XLSX."""
    if table not in ("cities", "projects") or fmt not in EXPORT_FORMATS:
        raise Http404
    form = DashboardFilterForm(request.GET or None, user=request.user)
    page = dashboard_cities(
        user=request.user, today=timezone.localdate(), filters=form.filters(), per_page=10**6
    )
    if table == "cities":
        rows = [
            {"city": c.city.name, "province": c.city.province, "year": year.year,
             "budget": year.general_expenditure, "obligations": year.obligations,
             "share": year.share, "level": str(LEVELS[year.level])}
            for c in page.cities for year in c.fiscal_years
        ]  # fmt: skip
        return table_response(CITY_COLUMNS, rows, fmt=fmt, name="dashboard-cities")
    rows = [
        {"city": c.city.name, "project": p.project.code, "name": p.project.name,
         "sector": p.project.get_sector_display(), "stage": p.project.get_stage_display(),
         "investment": p.project.total_investment, "contract": row.contract.code,
         "period": row.latest_period, "score": row.score, "grade": row.grade,
         "awaiting": row.awaiting, "flags": "; ".join(str(f.label) for f in row.flags)}
        for c in page.cities for p in c.projects for row in p.contracts
    ]  # fmt: skip
    return table_response(PROJECT_COLUMNS, rows, fmt=fmt, name="dashboard-projects")
