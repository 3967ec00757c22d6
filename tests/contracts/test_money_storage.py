"""Money is stored exactly on every database: amounts with cents compute and store on SQLite
as on PostgreSQL, and what is read back equals what the engine computed."""

from decimal import Decimal

import pytest

from contracts.bundles import bundle_import
from contracts.models import PaymentCalculation, Period
from contracts.services.payments import payments_compute

pytestmark = pytest.mark.django_db


def with_cents(document: dict) -> dict:
    """The example with component amounts that carry cents (a quarterly 1,234,567.89)."""
    components = document["contract"]["mechanism"]["components"]
    for component, amount in zip(components, ["1234567.89", "765432.11", "333333.33"], strict=True):
        component["amount"] = amount
    document.pop("expected")
    return document


def test_amounts_with_cents_compute_and_store_exactly(example):
    # given a contract whose component amounts carry cents
    bundle_import(document=with_cents(example("cn-score-coefficient")))

    # when its period is computed
    outcome = payments_compute(
        period_ids=list(Period.objects.values_list("pk", flat=True)), via="command"
    )

    # then it is stored, and the amounts read back add up exactly
    assert outcome.problems == []
    calculation = PaymentCalculation.objects.get()
    assert calculation.full_amount == Decimal("2333333.33")
    assert calculation.payable + calculation.deduction == calculation.full_amount
    assert str(calculation.full_amount) == calculation.result["full_amount"]
    assert str(calculation.payable) == calculation.result["payable"]
