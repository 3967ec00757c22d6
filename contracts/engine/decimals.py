"""Decimal conversion, the engine's own arithmetic context, and rounding.

Money is never a float: a float has already lost the cents before the engine sees it.
"""

from collections.abc import Mapping
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import cache

from contracts.engine.errors import EngineInputError

ZERO = Decimal(0)
ONE = Decimal(1)
DISPLAY_PLACES = 10  # scores, coefficients and points as written by Result.as_dict()


# Built from explicit values, so neither the caller's context nor decimal.DefaultContext can
# change a result. localcontext() works on a copy: flags raised in one calculation stay there.
ENGINE_CONTEXT = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def engine_context() -> AbstractContextManager[Context]:
    return localcontext(ENGINE_CONTEXT)


def to_decimal(value: object, where: str) -> Decimal:
    # The common cases first: the engine converts hundreds of thousands of values a run.
    if type(value) is Decimal and value.is_finite():
        return value
    if isinstance(value, float):
        raise EngineInputError(f"{where}: float {value!r} refused; pass a decimal string")
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise EngineInputError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(value) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        raise EngineInputError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise EngineInputError(f"{where}: {value!r} is not a finite number")
    return number


def non_negative(value: object, where: str) -> Decimal:
    number = to_decimal(value, where)
    if number < 0:
        raise EngineInputError(f"{where}: must be >= 0")
    return number


def positive(value: object, where: str) -> Decimal:
    number = to_decimal(value, where)
    if number <= 0:
        raise EngineInputError(f"{where}: must be > 0")
    return number


def non_negative_or(mapping: Mapping, key: str, where: str, default: Decimal) -> Decimal:
    """An optional setting: absent or null means the spec's default."""
    value = mapping.get(key)
    return default if value is None else non_negative(value, f"{where}.{key}")


def required(mapping: Mapping, key: str, where: str) -> object:
    value = mapping.get(key)
    if value is None:
        raise EngineInputError(f"{where}.{key}: missing")
    return value


def places_setting(mapping: Mapping, key: str, where: str, default: int | None) -> int | None:
    value = mapping.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EngineInputError(f"{where}.{key}: must be a whole number >= 0")
    return value


@cache
def _quantum(places: int) -> Decimal:
    return Decimal((0, (1,), -places))


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(_quantum(places), rounding=ROUND_HALF_UP)


def plain_text(value: Decimal) -> str:
    """At most DISPLAY_PLACES places, no trailing zeros, never exponent form: "0.88", "83"."""
    text = format(round_half_up(value, DISPLAY_PLACES).normalize(), "f")
    return "0" if text == "-0" else text
