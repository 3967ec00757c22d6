"""`MoneyField`: an amount stored as a whole number of fen (cents), a `Decimal` in Python.

Why integers: SQLite gives a `DecimalField` column NUMERIC affinity and keeps any value with
a fraction as a binary float, so `full_amount = payable + deduction` and `SUM()` were float
arithmetic there (1,234,567.89 failed the check constraint). A BIGINT of fen is exact on
every database: comparisons, check constraints, `F()` sums and `Sum()` are integer
arithmetic, and PostgreSQL behaves the same. Python code never sees fen: values are
`Decimal` with `MONEY_PLACES` places going in (more places are refused, not rounded) and
coming out, including aggregates whose output field is a `MoneyField` (`Sum`, `Coalesce`).

An expression that mixes a money column with a Python amount must say the amount is money
(`Value(amount, output_field=MoneyField())`); arithmetic between money columns needs
`output_field=MoneyField()` to come back as `Decimal` rather than fen.
"""

from decimal import Decimal

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.money import MONEY_MAX, MONEY_PLACES, MoneyError, money_parse

# Digits of the largest amount, for forms and serializers (10^13 has 14 before the point).
MONEY_DIGITS = len(str(int(MONEY_MAX))) + MONEY_PLACES


def money_to_fen(value: Decimal | int | str) -> int:
    """Decimal("1234.5") → 123450; refuses more than MONEY_PLACES places or beyond MONEY_MAX."""
    return int(money_parse(value).scaleb(MONEY_PLACES))


def money_from_fen(value: int | Decimal) -> Decimal:
    """123450 → Decimal("1234.50"). PostgreSQL returns SUM(bigint) as a whole numeric."""
    return Decimal(int(value)).scaleb(-MONEY_PLACES)


class MoneyField(models.BigIntegerField):
    description = _("Amount of money")
    # Read by forms and by Django REST framework's field mapping.
    max_digits = MONEY_DIGITS
    decimal_places = MONEY_PLACES

    @property
    def validators(self) -> list:
        # Bounds in yuan (the integer field's own bounds would be in fen).
        return [
            validators.MinValueValidator(-MONEY_MAX),
            validators.MaxValueValidator(MONEY_MAX),
            *self._validators,
        ]

    def get_prep_value(self, value):
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        try:
            return money_to_fen(value)
        except MoneyError as error:
            raise ValueError(f"{self.name}: {value!r}: {error}") from None

    def from_db_value(self, value, expression, connection) -> Decimal | None:
        return None if value is None else money_from_fen(value)

    def to_python(self, value) -> Decimal | None:
        if value is None or value == "":
            return None
        try:
            return money_parse(value)
        except MoneyError as error:
            raise ValidationError(str(error), code="invalid") from None

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self,
            form_class=forms.DecimalField,
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            **kwargs,
        )
