"""Loading the demo portfolio (portfolio/demo_data.py) through the same services as real data."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction

from contracts.bundles import bundles_import
from contracts.models import Contract, Decision, PaymentCalculation, Period
from contracts.services.payments import payments_compute
from contracts.services.periods import contract_periods_open_until

from . import demo_data, demo_telemetry_write
from .demo_history_write import demo_history_write
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


def demo_seed(*, today: date) -> DemoSummary:
    """Cities and budgets, every demo bundle, the payments of its evaluated periods, the
    periods still open at `today`, the demo users and the people of every other party, the
    simulated telemetry of three contracts (portfolio/demo_telemetry.py) and the history of
    every evaluated period (portfolio/demo_history_write.py): submissions, reviews, returns,
    evidence files, and payments in every workflow state. Running it again changes nothing
    that is there already.

    Three steps, because telemetry arrives as a real gateway's would: through the ingest
    service, each batch in a transaction of its own (it commits, or is refused whole), into
    periods still open to telemetry. So the contracts, streams and people come first, then
    the records of the periods computed from them, then those periods' evaluations, the
    city's computation (`period_telemetry_aggregate`), the reviews, payments and history."""
    bundles = demo_data.demo_bundles(today)
    record_periods = demo_telemetry_write.record_periods(bundles)
    with transaction.atomic():
        for city in demo_data.CITIES:
            city_upsert(
                name=city["name"],
                name_en=city["name_en"],
                province=city["province"],
                budgets=city["budget_expenditure"],
            )
        first = [demo_telemetry_write.without_record_periods(b, record_periods) for b in bundles]
        results = bundles_import(documents=[(b["contract"]["code"], b) for b in first])
        party_upsert(**demo_data.AUDITOR_PARTY)
        users = [
            _person_upsert(spec, password=settings.DEMO_PASSWORD) for spec in demo_data.DEMO_USERS
        ]
        for spec in demo_data.demo_people():
            _person_upsert(spec, password=None)  # people of the history only: no login
        demo_telemetry_write.streams_ensure()
    demo_telemetry_write.records_ingest(bundles, record_periods)  # a transaction per batch
    with transaction.atomic():
        demo_telemetry_write.record_periods_evaluate(bundles, record_periods, today=today)
        open_periods = sum(
            len(contract_periods_open_until(contract=r.contract, day=today)) for r in results
        )
        evaluated = Period.objects.filter(
            state=Period.State.SUBMITTED, calculation__isnull=True
        ).values_list("pk", flat=True)
        payments_compute(period_ids=list(evaluated), via=PaymentCalculation.Via.COMMAND)
        if not Decision.objects.exists():
            demo_history_write(today=today)
    return DemoSummary(
        contracts=Contract.objects.count(),
        open_periods=open_periods,
        calculations=PaymentCalculation.objects.count(),
        usernames=[u.username for u in users],
    )


def _person_upsert(spec: dict, *, password: str | None) -> User:
    return user_upsert(
        username=spec["username"],
        party=Party.objects.get(name=spec["party_name"]),
        role=spec["role"],
        password=password,
        first_name=spec["first_name"],
        email=spec["email"],
    )
