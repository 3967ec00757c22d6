from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.models import Contract, Measurement, PaymentCalculation, Period
from portfolio.demo_seed import demo_seed
from portfolio.models import City, Party, Project, User

TODAY = date(2026, 11, 23)
SECTORS = {
    "public_wifi", "flood_monitoring", "smart_parking", "transit_payment", "data_platform",
    "e_government",
}  # fmt: skip


@pytest.mark.django_db
def test_seed_demo_builds_the_portfolio_and_users_and_is_repeatable():
    # when the demo is seeded twice
    first = demo_seed(today=TODAY)
    counts = [m.objects.count() for m in (City, Party, Project, Contract, Period, Measurement)]
    demo_seed(today=TODAY)

    # then nothing is duplicated
    assert [
        m.objects.count() for m in (City, Party, Project, Contract, Period, Measurement)
    ] == counts
    # and the portfolio is what the issue asks for
    assert City.objects.filter(budgets__year=TODAY.year).distinct().count() >= 10
    assert {"北京", "上海", "广州", "深圳", "长沙", "佛山", "重庆", "成都", "武汉", "青岛"} <= set(
        City.objects.values_list("name", flat=True)
    )
    assert Project.objects.count() >= 15
    assert set(Project.objects.values_list("sector", flat=True)) >= SECTORS
    assert first.open_periods > 0
    # every evaluated period has its payment computed, but the one whose telemetry value
    # waits for review (portfolio/demo_telemetry.py), and the payments are in every state
    evaluated = Period.objects.exclude(state=Period.State.OPEN)
    awaiting = evaluated.filter(calculation__isnull=True)
    assert [(p.contract.code, p.compute_problem) for p in awaiting] == [
        ("CS-WIFI-01", "missing measurements: OUT-1")
    ]
    assert first.calculations == evaluated.count() - 1 == PaymentCalculation.objects.count()
    assert set(PaymentCalculation.objects.values_list("state", flat=True)) == set(
        PaymentCalculation.State.values
    )
    assert Period.objects.filter(state=Period.State.LOCKED).count() == (
        PaymentCalculation.objects.filter(state__in=PaymentCalculation.FINAL_STATES).count()
    )
    for contract in Contract.objects.all():
        evaluated = contract.periods.exclude(state=Period.State.OPEN)
        assert (evaluated.last().ends_on - evaluated.first().starts_on).days >= 2 * 365 - 1
        assert contract.periods.filter(state=Period.State.OPEN).exists()
        assert contract.milestones.exists()
    # and the demo users act for the right parties
    users = {u.username: u for u in User.objects.select_related("party")}
    assert users["gov_preparer"].party == users["gov_approver"].party
    assert users["gov_preparer"].party.kind == Party.Kind.GOVERNMENT
    assert users["enterprise_a"].party != users["enterprise_b"].party
    assert users["auditor"].party.kind == Party.Kind.AUDITOR
    agency = users["gov_preparer"].party
    for company in ("enterprise_a", "enterprise_b"):
        assert Contract.objects.filter(
            government_party=agency, private_party=users[company].party
        ).exists()
    assert users["gov_approver"].check_password("ppp-demo-2026")
    assert users["gov_approver"].is_staff and not users["enterprise_a"].is_staff


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not Contract.objects.exists()
