"""The portfolio dashboard: server-rendered pages that only call the dashboard selectors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from reports.charts import budget_chart, chart_labels, score_payable_chart

from .selectors import dashboard_cities, dashboard_project


@login_required
def index(request):
    today = timezone.localdate()
    cities = dashboard_cities(user=request.user, today=today)
    labels = chart_labels()
    for city in cities:
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
    return render(
        request,
        "dashboard/index.html",
        {
            "cities": cities,
            "today": today,
            "projects": sum(len(c.projects) for c in cities),
            "investment": sum(c.investment for c in cities),
            "awaiting": sum(c.awaiting for c in cities),
            "flagged": sum(len(c.flags) + sum(len(p.flags) for p in c.projects) for c in cities),
            "is_enterprise": request.user.role == request.user.Role.ENTERPRISE,
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
    return render(request, "dashboard/project.html", {"page": page, "today": timezone.localdate()})
