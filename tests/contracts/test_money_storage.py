"""Money is stored exactly on every database: amounts with cents compute and store on SQLite
as on PostgreSQL, and what is read back equals what the engine computed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from contracts.api.serializers import PaymentSerializer
from contracts.bundles import bundle_import
from contracts.models import PaymentAdjustment, PaymentCalculation, Period
from contracts.services.payments import payments_compute
from portfolio.fields import MoneyField
from portfolio.models import User
from portfolio.money import MONEY_MAX

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


@pytest.fixture
def two_payments(example):
    """The cents contract and cn-steps, both computed."""
    bundle_import(document=with_cents(example("cn-score-coefficient")))
    bundle_import(document=example("cn-steps"))
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    return list(PaymentCalculation.objects.order_by("pk"))


def test_sums_and_annotations_over_amounts_are_exact_decimals(two_payments):
    payables = [c.payable for c in two_payments]
    calculations = PaymentCalculation.objects.all()

    # Sum, and Coalesce over an empty sum, come back as Decimal in yuan (not fen, not float)
    totals = calculations.aggregate(
        total=Sum("payable"), none=Coalesce(Sum("payable", filter=Q(pk=-1)), 0)
    )
    assert totals == {"total": sum(payables, Decimal(0)), "none": Decimal("0.00")}
    assert isinstance(totals["total"], Decimal)
    # grouped annotations and values() too
    per_contract = dict(
        calculations.values("period__contract__code")
        .annotate(total=Sum("full_amount"))
        .values_list("period__contract__code", "total")
    )
    assert per_contract == {c.period.contract.code: c.full_amount for c in two_payments}
    assert sorted(calculations.values_list("payable", flat=True)) == sorted(payables)
    # column arithmetic, declared as money, is exact and reads back in yuan
    added = calculations.annotate(
        added=ExpressionWrapper(F("payable") + F("deduction"), output_field=MoneyField())
    )
    assert all(c.added == c.full_amount for c in added)
    # lookups take yuan
    cents = two_payments[0]
    assert calculations.filter(payable=cents.payable).get() == cents
    assert calculations.filter(payable__gt=cents.payable - Decimal("0.01")).count() >= 1


def test_amounts_the_columns_cannot_hold_are_refused_not_rounded(two_payments):
    calculation = two_payments[0]
    adjustment = PaymentAdjustment(
        calculation=calculation,
        amount=Decimal("0.005"),
        reason="too precise",
        created_by=User.objects.create_user(
            username="official", role="approver", party=calculation.period.contract.government_party
        ),
    )
    with pytest.raises(ValidationError) as error:
        adjustment.full_clean()
    assert "amount" in error.value.message_dict
    with pytest.raises(ValueError, match="amount"), transaction.atomic():
        adjustment.save()
    adjustment.amount = MONEY_MAX + 1
    with pytest.raises(ValidationError):
        adjustment.full_clean()
    assert not PaymentAdjustment.objects.exists()


def test_the_api_and_forms_see_decimal_amounts(two_payments):
    calculation = two_payments[0]
    assert PaymentSerializer(calculation).data["payable"] == str(calculation.payable)
    field = PaymentAdjustment._meta.get_field("amount").formfield()
    assert field.clean("1234567.89") == Decimal("1234567.89")
    with pytest.raises(ValidationError):
        field.clean("0.001")
