"""Reading a JSON document field by field, collecting every error with its JSON path.

Each reader returns the value when it is valid and None otherwise (after recording why), so a
validator can go on and report every problem of a document in one pass.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class BundleError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ErrorList(list[BundleError]):
    def add(self, path: str, message: str) -> None:
        self.append(BundleError(path or "$", message))


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def as_decimal(raw: Any) -> Decimal | None:
    """Decimal strings and integers; never floats (JSON numbers with a fraction lose cents)."""
    if isinstance(raw, bool | float):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


class ObjectReader:
    """Typed access to one JSON object at `path`; unknown keys are errors (a typo must not
    silently drop data)."""

    def __init__(self, errors: ErrorList, data: dict, path: str, allowed: set[str]):
        self.errors, self.data, self.path = errors, data, path
        for key in data:
            if key not in allowed:
                errors.add(child(path, key), "unknown field")

    def _raw(self, key: str, required: bool, nullable: bool = False) -> Any:
        raw = self.data.get(key, MISSING)
        if raw is MISSING or (raw is None and not nullable):
            if required:
                self.errors.add(child(self.path, key), "is required")
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
            self.error(key, "must be a string")
        elif required and not raw.strip():
            self.error(key, "must not be empty")
        elif len(raw) > max_length:
            self.error(key, f"must be at most {max_length} characters")
        else:
            return raw
        return None

    def choice(self, key: str, choices: list[str], *, required: bool = True) -> str | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if raw not in choices:
            self.error(key, f"must be one of: {', '.join(choices)}")
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
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.error(key, "must be an integer")
        elif minimum is not None and raw < minimum:
            self.error(key, f"must be >= {minimum}")
        elif maximum is not None and raw > maximum:
            self.error(key, f"must be <= {maximum}")
        else:
            return raw
        return None

    def boolean(self, key: str, *, required: bool = True) -> bool | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        if not isinstance(raw, bool):
            self.error(key, "must be true or false")
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
        places: int | None = None,
    ) -> Decimal | None:
        raw = self._raw(key, required)
        if raw is MISSING:
            return None
        value = as_decimal(raw)
        if value is None:
            self.error(key, 'must be a decimal string such as "99.5"')
        elif minimum is not None and value < minimum:
            self.error(key, f"must be >= {minimum}")
        elif above is not None and value <= above:
            self.error(key, f"must be > {above}")
        elif maximum is not None and value > maximum:
            self.error(key, f"must be <= {maximum}")
        elif places is not None and -value.as_tuple().exponent > places:
            self.error(key, f"must have at most {places} decimal places")
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
            self.error(key, "must be an ISO date (YYYY-MM-DD)")
            return None

    def items(self, key: str, *, required: bool = True) -> list[tuple[str, Any]]:
        """The (path, item) pairs of a list field."""
        raw = self._raw(key, required)
        if raw is MISSING:
            return []
        if not isinstance(raw, list):
            self.error(key, "must be a list")
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
        errors.add(path, "must be an object")
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
            errors.add(child(path, key), f"duplicate {key} {code!r}")
        seen.add(code)
