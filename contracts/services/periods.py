"""Writes on evaluation periods."""

from datetime import date, timedelta

from django.conf import settings

from contracts.models import Contract, Period
from contracts.periods import period_bounds, period_labels_between


def period_get_or_create(*, contract: Contract, label: str) -> tuple[Period, bool]:
    """The contract's period named `label`, created open if it does not exist yet."""
    starts_on, ends_on = period_bounds(label, contract.frequency)
    return Period.objects.get_or_create(
        contract=contract,
        label=label,
        defaults={
            "starts_on": starts_on,
            "ends_on": ends_on,
            "due_on": ends_on + timedelta(days=settings.PERIOD_SUBMISSION_DAYS),
        },
    )


def contract_periods_open_until(*, contract: Contract, day: date) -> list[Period]:
    """Create (open) every period of the contract's term up to the one containing `day`;
    existing periods are left as they are. Returns the periods created."""
    last_day = min(day, contract.ends_on)
    if last_day < contract.starts_on:
        return []
    existing = set(contract.periods.values_list("label", flat=True))
    created = []
    for label in period_labels_between(contract.starts_on, last_day, contract.frequency):
        if label not in existing:
            created.append(period_get_or_create(contract=contract, label=label)[0])
    return created
