"""The portfolio dashboard: server-rendered pages that only call the dashboard selectors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from reports.charts import budget_chart, chart_labels, score_payable_chart

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
