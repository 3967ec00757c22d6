"""Loading the demo portfolio (portfolio/demo_data.py) through the same services as real data."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction

from contracts.bundles import bundles_import
from contracts.models import Contract, PaymentCalculation, Period
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
    periods still open at `today`, and the demo users. Running it again brings the demo data
    back to its initial state."""
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
    evaluated = Period.objects.filter(state=Period.State.SUBMITTED).values_list("pk", flat=True)
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
    return DemoSummary(
        contracts=Contract.objects.count(),
        open_periods=open_periods,
        calculations=PaymentCalculation.objects.count(),
        usernames=[u.username for u in users],
    )
