"""Loading the demo portfolio (portfolio/demo_data.py) through the same services as real data."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction

from contracts.bundles import bundles_import
from contracts.models import Contract, Decision, PaymentCalculation, Period
from contracts.services.approvals import (
    payment_approve,
    payment_mark_paid,
    payment_prepare,
    payment_return,
)
from contracts.services.payments import payments_compute
from contracts.services.periods import contract_periods_open_until

from . import demo_data
from .models import Party, User
from .services import city_upsert, party_upsert, user_upsert


@dataclass
class DemoSummary:
    contracts: int
    open_periods: int
    calculations: int
    usernames: list[str]


def demo_is_seeded() -> bool:
    return User.objects.filter(username__in=[u["username"] for u in demo_data.DEMO_USERS]).exists()


@transaction.atomic
def demo_seed(*, today: date) -> DemoSummary:
    """Cities and budgets, every demo bundle, the payments of its evaluated periods, the
    periods still open at `today`, the demo users, and payments in every workflow state.
    Running it again changes nothing that is there already."""
    for city in demo_data.CITIES:
        city_upsert(
            name=city["name"],
            name_en=city["name_en"],
            province=city["province"],
            budgets=city["budget_expenditure"],
        )
    bundles = demo_data.demo_bundles(today)
    results = bundles_import(documents=[(b["contract"]["code"], b) for b in bundles])
    open_periods = sum(
        len(contract_periods_open_until(contract=r.contract, day=today)) for r in results
    )
    evaluated = Period.objects.filter(
        state=Period.State.SUBMITTED, calculation__isnull=True
    ).values_list("pk", flat=True)
    payments_compute(period_ids=list(evaluated), via=PaymentCalculation.Via.COMMAND)
    party_upsert(**demo_data.AUDITOR_PARTY)
    users = [
        user_upsert(
            username=spec["username"],
            party=Party.objects.get(name=spec["party_name"]),
            role=spec["role"],
            password=settings.DEMO_PASSWORD,
        )
        for spec in demo_data.DEMO_USERS
    ]
    _walk_payments_through_the_workflow({u.username: u for u in users})
    return DemoSummary(
        contracts=Contract.objects.count(),
        open_periods=open_periods,
        calculations=PaymentCalculation.objects.count(),
        usernames=[u.username for u in users],
    )


def _walk_payments_through_the_workflow(users: dict[str, User]) -> None:
    """Leave the preparer's agency's payments in every state, oldest first: paid, approved,
    prepared, one returned, the rest computed and awaiting preparation."""
    preparer, approver = users["gov_preparer"], users["gov_approver"]
    if Decision.objects.filter(user__in=[preparer, approver]).exists():
        return  # walked already
    calculations = list(
        PaymentCalculation.objects.filter(
            period__contract__government_party=preparer.party,
            state=PaymentCalculation.State.COMPUTED,
        ).order_by("period__ends_on", "period__contract__code")
    )
    if len(calculations) < 8:
        return
    paid, approved, prepared = calculations[:-8], calculations[-8:-6], calculations[-6:-4]
    returned = calculations[-4]
    for calculation in paid + approved + prepared:
        payment_prepare(calculation=calculation, user=preparer)
    for calculation in paid + approved:
        payment_approve(calculation=calculation, user=approver)
    for calculation in paid:
        payment_mark_paid(
            calculation=calculation,
            user=approver,
            reference=f"GK-{calculation.period.label}-{calculation.pk:05d}",
            paid_on=calculation.period.due_on,
        )
    payment_return(
        calculation=returned,
        user=preparer,
        reason="满意度调查样本量不足，请补充第三方测评报告后重新计算。",
    )
