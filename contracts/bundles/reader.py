"""Reading a JSON document field by field, collecting every error with its JSON path.

Each reader returns the value when it is valid and None otherwise (after recording why), so a
validator can go on and report every problem of a document in one pass.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from contracts.numbers import INTEGER_MAX, NumberError, figure_check, money_check
from portfolio.codes import CodeError, code_normalize
from portfolio.jsonparse import json_child as child

MISSING = object()


@dataclass(frozen=True)
class BundleError:
    path: str
    message: str
    # What the error is to an API caller: "invalid" (400), "forbidden" (403: not the
    # caller's to import), "not_found" (404: another agency's project or contract).
    kind: str = "invalid"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ErrorList(list[BundleError]):
    def add(self, path: str, message, kind: str = "invalid") -> None:
        self.append(BundleError(path or "$", str(message), kind))


def as_decimal(raw: Any) -> Decimal | None:
    """Decimal strings and integers; never floats (JSON numbers with a fraction lose cents).
    Not-finite values are returned, for the bounds check to say so."""
    if isinstance(raw, bool | float):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip())
        except InvalidOperation:
            return None
    return None


class ObjectReader:
    """Typed access to one JSON object at `path`; unknown keys are errors (a typo must not
    silently drop data)."""

    def __init__(self, errors: ErrorList, data: dict, path: str, allowed: set[str]):
        self.errors, self.data, self.path = errors, data, path
        for key in data:
            if key not in allowed:
                errors.add(child(path, key), _("unknown field"))

    def _raw(self, key: str, required: bool, nullable: bool = False) -> Any:
        raw = self.data.get(key, MISSING)
        if raw is MISSING or (raw is None and not nullable):
            if required:
                self.errors.add(child(self.path, key), _("is required"))
            return MISSING
        return raw

    def error(self, key: str | int, message: str) -> None:
        self.errors.add(child(self.path, key), message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def string(self, key: str, *, required: bool = True, max_length: int = 200) -> str | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if not isinstance(raw, str):
            self.error(key, _("must be a string"))
        elif required and not raw.strip():
            self.error(key, _("must not be empty"))
        elif len(raw) > max_length:
            self.error(key, _("must be at most {limit} characters").format(limit=max_length))
        elif "\x00" in raw:
            self.error(key, _("must not contain a NUL character"))
        else:
            return raw
        return None

    def code(self, key: str, *, max_length: int, required: bool = True) -> str | None:
        """A code in its normal form (portfolio/codes.py), written back into the document so
        the importer and every reference see the same code."""
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if not isinstance(raw, str):
            self.error(key, _("must be a string"))
            return None
        try:
            code = code_normalize(raw, max_length=max_length)
        except CodeError as exc:
            self.error(key, exc)
            return None
        self.data[key] = code
        return code

    def choice(self, key: str, choices: list[str], *, required: bool = True) -> str | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if raw not in choices:
            separator = pgettext("between the items of a list", ", ")
            self.error(key, _("must be one of: {choices}").format(choices=separator.join(choices)))
            return None
        return raw

    def integer(
        self,
        key: str,
        *,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
        nullable: bool = False,
    ) -> int | None:
        raw = self._raw(key, required, nullable)
        if raw is MISSING or raw is None:
            return None
        maximum = INTEGER_MAX if maximum is None else maximum
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.error(key, _("must be an integer"))
        elif minimum is not None and raw < minimum:
            self.error(key, _("must be >= {minimum}").format(minimum=minimum))
        elif raw > maximum:
            self.error(key, _("must be <= {maximum}").format(maximum=maximum))
        else:
            return raw
        return None

    def boolean(self, key: str, *, required: bool = True) -> bool | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if not isinstance(raw, bool):
            self.error(key, _("must be true or false"))
            return None
        return raw

    def decimal(
        self,
        key: str,
        *,
        required: bool = True,
        minimum: Decimal | None = None,
        above: Decimal | None = None,
        maximum: Decimal | None = None,
        money: bool = False,
    ) -> Decimal | None:
        """A decimal the columns hold: an amount (`money`) or a KPI figure (the default)."""
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        value = as_decimal(raw)
        if value is None:
            self.error(key, _('must be a decimal string such as "99.5"'))
            return None
        try:
            value = money_check(value) if money else figure_check(value)
        except NumberError as exc:
            self.error(key, exc)
            return None
        if minimum is not None and value < minimum:
            self.error(key, _("must be >= {minimum}").format(minimum=minimum))
        elif above is not None and value <= above:
            self.error(key, _("must be > {limit}").format(limit=above))
        elif maximum is not None and value > maximum:
            self.error(key, _("must be <= {maximum}").format(maximum=maximum))
        else:
            return value
        return None

    def date(self, key: str, *, required: bool = True, nullable: bool = False) -> date | None:
        raw = self._raw(key, required, nullable)
        if raw is MISSING or raw is None:
            return None
        try:
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            self.error(key, _("must be an ISO date (YYYY-MM-DD)"))
            return None

    def items(self, key: str, *, required: bool = True) -> list[tuple[str, Any]]:
        """The (path, item) pairs of a list field."""
        raw = self._raw(key, required)
        if raw is MISSING:
            return []
        if not isinstance(raw, list):
            self.error(key, _("must be a list"))
            return []
        path = child(self.path, key)
        return [(child(path, i), item) for i, item in enumerate(raw)]

    def obj(self, key: str, allowed: set[str], *, required: bool = True) -> "ObjectReader | None":
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        return object_at(self.errors, raw, child(self.path, key), allowed)


def object_at(errors: ErrorList, raw: Any, path: str, allowed: set[str]) -> ObjectReader | None:
    if not isinstance(raw, dict):
        errors.add(path, _("must be an object"))
        return None
    return ObjectReader(errors, raw, path, allowed)


def unique_codes(errors: ErrorList, entries: list[tuple[str, Any]], key: str) -> None:
    """Report repeated values of `key` among list entries."""
    seen: set = set()
    for path, entry in entries:
        code = entry.get(key) if isinstance(entry, dict) else None
        if not isinstance(code, str | int) or isinstance(code, bool):
            continue
        if code in seen:
            errors.add(
                child(path, key), _("duplicate {key} {code}").format(key=key, code=repr(code))
            )
        seen.add(code)
