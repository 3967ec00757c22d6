"""Money: the one place that rounds, formats and parses amounts.

Amounts are `Decimal` everywhere in Python, rounded half-up to `MONEY_PLACES` (as Chinese
invoices and the payment mechanisms specify). Text for people groups thousands with commas
("3,552,000.00"); the short forms use the units Chinese budget documents use (万元, 亿元) and,
in English, millions and billions of the currency. Parsing refuses what the database cannot
hold: not finite, more places than `MONEY_PLACES`, or beyond `MONEY_MAX`.
"""

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

MONEY_PLACES = 2
CENT = Decimal(1).scaleb(-MONEY_PLACES)
# The largest amount anything may hold (10^13 yuan is 20 times China's national budget).
MONEY_MAX = Decimal(10) ** 13
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
PLACEHOLDER = "—"
# A binary float (a JSON number as most readers parse it) carries 15 significant digits exactly.
EXACT_FLOAT_DIGITS = 15


# Enough digits to round any stored amount, an absurd one (1e30) included, without an error.
MONEY_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def money_round(value: Decimal | int | str) -> Decimal:
    """Half-up to MONEY_PLACES: 0.005 → 0.01, -0.005 → -0.01."""
    return Decimal(value).quantize(CENT, context=MONEY_CONTEXT)


def money_text(value: Decimal | int | str | None) -> str:
    """3552000 → "3,552,000.00"; None or "" → "—"."""
    if value is None or value == "" or not Decimal(value).is_finite():
        return PLACEHOLDER
    return f"{money_round(value):,.{MONEY_PLACES}f}"


def money_in_wan(value: Decimal | int | str | None) -> str:
    """1234567.89 → "123.46" (万元), for tables whose header names the unit."""
    return _scaled(value, WAN)


def money_in_yi(value: Decimal | int | str | None) -> str:
    """134210000000 → "1,342.10" (亿元), for tables whose header names the unit."""
    return _scaled(value, YI)


def money_short(value: Decimal | int | str | None, currency: str = "CNY") -> str:
    """An amount with its unit, in the active language: "355.20万元", "6.65亿元";
    "CNY 3.552 million", "CNY 665 million", "CNY 1.34 billion"; small amounts in full."""
    if value is None or value == "":
        return PLACEHOLDER
    amount = Decimal(value)
    if (get_language() or "zh-hans").startswith("zh"):
        if abs(amount) >= YI:
            return f"{_scaled(amount, YI)}亿元"
        if abs(amount) >= WAN:
            return f"{_scaled(amount, WAN)}万元"
        return f"{money_text(amount)}元"
    for unit, name in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if abs(amount) >= unit:
            scaled = (amount / unit).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            return f"{currency} {_grouped_plain(scaled)} {name}"
    return f"{currency} {money_text(amount)}"


def money_json_number(value: Decimal | int | str) -> float:
    """An amount as a JSON number (OCDS `amount`): half-up to cents, and refused (ValueError)
    when a float could not read back to that decimal."""
    rounded = money_round(value)
    if len(rounded.as_tuple().digits) > EXACT_FLOAT_DIGITS:
        raise ValueError(f"{rounded} has too many digits to be an exact JSON number")
    return float(rounded)


class MoneyError(ValueError):
    """Text that is not an amount the system can hold; the message says why."""


def money_parse(text: str | Decimal | int) -> Decimal:
    """ "1,234.5" → Decimal("1234.50"). Refuses floats, non-finite numbers, more than
    MONEY_PLACES places and anything beyond ±MONEY_MAX, each with its reason."""
    if isinstance(text, float | bool):
        raise MoneyError(_("an amount must be written as a decimal number, not a float"))
    try:
        amount = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise MoneyError(_("not a number")) from None
    if not amount.is_finite():
        raise MoneyError(_("not a finite number"))
    if amount.copy_abs() > MONEY_MAX:  # abs() would overflow the context for 1e999999999
        raise MoneyError(_("at most %(max)s") % {"max": money_text(MONEY_MAX)})
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyError(_("at most %(places)d decimal places") % {"places": MONEY_PLACES})
    return money_round(amount)


def _scaled(value: Decimal | int | str | None, unit: Decimal) -> str:
    if value is None or value == "":
        return PLACEHOLDER
    return f"{money_round(Decimal(value) / unit):,.{MONEY_PLACES}f}"


def _grouped_plain(value: Decimal) -> str:
    """3.552 → "3.552", 665.000 → "665", 1234.5 → "1,234.5"."""
    whole, _dot, fraction = format(value.normalize(), "f").partition(".")
    grouped = f"{int(whole):,}" if whole not in ("-0", "") else whole
    return f"{grouped}.{fraction}" if fraction else grouped
