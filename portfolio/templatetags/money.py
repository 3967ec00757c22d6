"""Money in the units Chinese budget documents use: 万元 for projects and payments, 亿元 for
budgets. Exact decimals in, grouped text out."""

from decimal import Decimal

from django import template

register = template.Library()


def _scaled(value, unit: int, places: int) -> str:
    if value in (None, ""):
        return "—"
    return f"{Decimal(value) / unit:,.{places}f}"


@register.filter
def wan(value) -> str:
    """1234567.89 → "123.46" (万元)."""
    return _scaled(value, 10_000, 2)


@register.filter
def yi(value) -> str:
    """134210000000 → "1,342.10" (亿元)."""
    return _scaled(value, 100_000_000, 2)
