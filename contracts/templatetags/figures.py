"""A measurement's figure as people write it: 98.500000 → 98.5."""

from django import template

from contracts.selectors import decimal_text
from portfolio.money import money_text

register = template.Library()


@register.filter
def figure(measurement) -> str:
    if not measurement:
        return ""
    number = measurement.points if measurement.points is not None else measurement.value
    return decimal_text(number)


@register.filter
def number(value) -> str:
    """A decimal as people write it (98.500000 → 98.5); "" for none."""
    return "" if value is None or value == "" else decimal_text(value)


@register.filter
def money(amount) -> str:
    """Thousands grouped by commas, two places: 3,552,000.00 (portfolio.money); "" for none."""
    return "" if amount is None or amount == "" else money_text(amount)
