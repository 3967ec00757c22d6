"""Charts and renderers stay small whatever amount is stored (#14 finding 4): once a component
amount of 1e30 made `budget_chart` loop once per 2 percent of the budget share, and the
dashboard and the city report grew without limit."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.models import MechanismVersion
from portfolio.models import CityBudget
from reports.charts import budget_chart, chart_labels, portfolio_chart, score_payable_chart
from tests import worker

HUGE = ["1e30", "9" * 40, "Infinity", "-1e30", "NaN"]


@pytest.mark.parametrize("value", HUGE)
def test_every_chart_has_a_fixed_size_whatever_the_value(value):
    labels = chart_labels()
    charts = [
        budget_chart({"general_expenditure": "100", "share": value}, labels=labels),
        score_payable_chart(
            [
                {
                    "period": "2026-Q1",
                    "score": value,
                    "payable": value,
                    "full_amount": value,
                    "status": "final",
                }
            ],
            labels=labels,
        ),
        portfolio_chart(
            [
                {
                    "code": "C",
                    "final": {"full_amount": value, "payable": value},
                    "provisional": {"full_amount": "0", "payable": "0"},
                    "latest_text": {"grade": "A", "score": "1"},
                }
            ],
            labels=labels,
        ),
    ]
    for svg in charts:
        assert svg.startswith("<svg") and len(svg) < 10_000
    assert (
        budget_chart({"general_expenditure": "100", "share": value}, labels=labels).count(
            "%</text>"
        )
        <= 2 + 8
    )  # the two lines' labels and at most eight ticks


def test_the_budget_axis_keeps_its_ticks_for_ordinary_shares():
    svg = budget_chart({"general_expenditure": "100", "share": "3.2"}, labels=chart_labels())
    for tick in ("0%", "2%", "4%", "6%", "8%", "10%", "12%"):
        assert f">{tick}</text>" in svg


def test_dashboard_and_city_report_render_with_1e30_under_500_mb(transactional_db, people):
    # given: a component amount of 1e30 stored directly (whatever import would refuse)
    city = people.contract.project.city
    CityBudget.objects.create(city=city, year=2026, general_expenditure=Decimal("120000000.00"))
    version = MechanismVersion.objects.get(contract=people.contract)
    version.definition["components"][0]["amount"] = "1e30"
    MechanismVersion.objects.filter(pk=version.pk).update(definition=version.definition)
    # when: an auditor's dashboard and the city report render in a process limited to 500 MB
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("bounded_render.py")),
         people.auditor.username, str(city.pk), "2026"],
        cwd=worker.ROOT, env={**_env(), "DATABASE_URL": worker.test_database_url()},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # then
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "dashboard 200" in result.stdout and "report ready" in result.stdout


def _env() -> dict:
    import os

    return {**os.environ, "DJANGO_SETTINGS_MODULE": "portfolio.settings.test"}
