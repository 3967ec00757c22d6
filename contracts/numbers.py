"""Numbers checked against what the database can hold, for every entry point (bundles, API,
portal, admin): finite, within the column's digits, with no more places than it keeps.

Money goes through `portfolio.money.money_parse` (at most `MONEY_MAX`, `MONEY_PLACES`
places); KPI figures (targets, values, points, steps, quantities) through `KPI_DECIMAL`, the
columns' `max_digits` and `decimal_places`. A value with more places than the column keeps is
refused, never rounded: `1e-999999` would be stored as 0.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from contracts.models import KPI_DECIMAL
from portfolio.money import MoneyError, money_parse

# PostgreSQL's `integer`, the PositiveIntegerField columns' type.
INTEGER_MAX = 2**31 - 1
# KPI figures below 10^12: a sane range for any KPI, which also leaves the columns' 14 whole
# digits room for SQLite, which stores them as floats: 99999999999999.999999 comes back as
# 10^14, which the column cannot hold (reading it raises).
FIGURE_WHOLE_DIGITS = 12


class NumberError(ValueError):
    """Not a number the column can hold; the message says why."""


def decimal_check(
    value: Decimal, *, max_digits: int, decimal_places: int, whole_digits: int | None = None
) -> Decimal:
    """`value` if a column of `max_digits` and `decimal_places` holds it exactly (and it has
    at most `whole_digits` digits before the point, if given)."""
    if not value.is_finite():
        raise NumberError(_("not a finite number"))
    if whole_digits is None:
        whole_digits = max_digits - decimal_places
    if value and value.adjusted() >= whole_digits:
        raise NumberError(
            format_lazy(_("must be less than 10^{digits} in size"), digits=whole_digits)
        )
    quantum = Decimal(1).scaleb(-decimal_places)
    try:
        exact = value == value.quantize(quantum)
    except InvalidOperation:
        exact = False
    if not exact:
        raise NumberError(
            format_lazy(_("must have at most {places} decimal places"), places=decimal_places)
        )
    return value


def figure_check(value: Decimal) -> Decimal:
    """A KPI figure (target, floor, points, step, value, quantity) the KPI columns hold."""
    return decimal_check(value, **KPI_DECIMAL, whole_digits=FIGURE_WHOLE_DIGITS)


def money_check(value: Decimal | int | str) -> Decimal:
    """An amount `money_parse` accepts (finite, at most MONEY_MAX, MONEY_PLACES places)."""
    try:
        return money_parse(value)
    except MoneyError as exc:
        raise NumberError(str(exc)) from None


def validate_figure(value) -> None:
    """Form and serializer validator for KPI figures (Django's and DRF's fields check the
    digits and places already; this adds the sane range)."""
    if value is None:
        return
    try:
        figure_check(value)
    except NumberError as exc:
        raise ValidationError(str(exc), code="invalid_figure") from None
