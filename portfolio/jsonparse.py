"""JSON parsing with limits: the one parser of the API (`portfolio.api.parsers`) and of
`import_bundle`.

`json_parse` refuses, each with the JSON path where it happens and a reason: documents larger
than `JSON_MAX_BYTES`, nesting deeper than `JSON_MAX_DEPTH`, duplicate keys (the standard
library silently keeps the last), strings with NUL or lone surrogates (neither can be stored:
PostgreSQL refuses NUL, UTF-8 cannot encode a surrogate), integers longer than
`JSON_MAX_INT_DIGITS`, numbers that overflow to infinity, and NaN/Infinity. Nesting is checked
on the text before decoding, so a document nested 100,000 deep never reaches a recursive
decoder. The common case stays at C speed (a 3.5 MB document: about 0.5 s); the Python
passes that find the path run only for a document that has something to refuse.
"""

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 32
MAX_INT_DIGITS = 32

# A string token (keys included, with the colon that makes it a key), or a bracket or comma.
# An unterminated string runs to the end of the text (one token, so the scan stays linear).
_STRING = r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)'
_TOKEN = re.compile(_STRING + r"\s*(:)?|[\[\]{},]", re.DOTALL)
_STRINGS = re.compile(_STRING, re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
# NUL and surrogates can only come as escapes (the decoder refuses raw control characters).
_SUSPICIOUS_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class JSONRefused(ValueError):
    """Not a document we accept; `path` says where ("$": the whole document)."""

    def __init__(self, path: str, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason

    @property
    def message(self) -> str:
        return str(self.reason)


def json_child(path: str, key: str | int) -> str:
    """The path of a member: `contract.kpis[3].step` (the root itself is "")."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def json_parse(data: bytes | str) -> Any:
    """The decoded document, or JSONRefused with the path and the reason."""
    max_bytes = limit("JSON_MAX_BYTES", MAX_BYTES)
    if len(data) > max_bytes:
        raise JSONRefused("$", format_lazy(_("larger than {limit} bytes"), limit=max_bytes))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONRefused("$", format_lazy(_("not UTF-8 ({error})"), error=exc)) from None
    max_depth = limit("JSON_MAX_DEPTH", MAX_DEPTH)
    if not _shallow(data, max_depth):
        _check_depth(data, max_depth)
    max_digits = limit("JSON_MAX_INT_DIGITS", MAX_INT_DIGITS)
    marked = []  # what the hooks found to refuse (its path is found after decoding)

    def integer(text: str) -> int | _TooLong:
        if len(text) > max_digits:
            marked.append(text)
            return _TooLong(text)
        return int(text)

    def number(text: str) -> float | _NotFinite:
        value = float(text)
        if math.isfinite(value):
            return value
        marked.append(text)
        return _NotFinite(text)

    def obj(pairs: list[tuple[str, Any]]) -> dict:
        result = _object(pairs)
        if isinstance(result, _Object):
            marked.append(result)
        return result

    try:
        document = json.loads(
            data,
            object_pairs_hook=obj,
            parse_int=integer,
            parse_float=number,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        reason = format_lazy(
            _("not valid JSON: {error} (line {line}, column {column})"),
            error=exc.msg,
            line=exc.lineno,
            column=exc.colno,
        )
        raise JSONRefused("$", reason) from None
    if marked or _SUSPICIOUS_ESCAPE.search(data):
        _check_values(document, max_digits)
    return document


class _Object(dict):
    """An object whose text repeated some keys (reported with their path after decoding)."""

    duplicates: list[str]


class _TooLong(str):
    """An integer with too many digits (kept as text: converting it is what is slow)."""


class _NotFinite(str):
    """A number beyond what a float can hold (1e999 would become inf)."""


def _object(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen, duplicates = set(), []
    for key, _value in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    marked = _Object(result)
    marked.duplicates = duplicates
    return marked


def _constant(name: str):
    raise JSONRefused("$", format_lazy(_("{name} is not a number JSON allows"), name=name))


def _shallow(text: str, max_depth: int) -> bool:
    """Whether the text nests at most `max_depth` deep, at C speed: strings and everything but
    brackets removed, then the innermost pairs, once per level. False also for unbalanced
    brackets (the slower scan then finds the path, or the decoder says what is wrong)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _level in range(max_depth):
        if not brackets:
            return True
        brackets = _INNERMOST.sub("", brackets)
    return not brackets


def _check_depth(text: str, max_depth: int) -> None:
    """Nesting depth on the text (strings skipped), with the path where it is exceeded."""
    stack: list[list] = []  # per open container: [is_array, key or index]
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            if len(stack) >= max_depth:
                raise JSONRefused(
                    _stack_path(stack) or "$",
                    format_lazy(_("nested deeper than {limit} levels"), limit=max_depth),
                )
            stack.append([token == "[", 0 if token == "[" else None])
        elif token in "]}":
            if stack:
                stack.pop()
        elif token == ",":
            if stack and stack[-1][0]:
                stack[-1][1] += 1
        elif match.group(1) and stack and not stack[-1][0]:
            try:
                stack[-1][1] = json.loads(token[: token.rindex('"') + 1])
            except ValueError:
                stack[-1][1] = "?"  # the decoder reports the bad string itself


def _stack_path(stack: list[list]) -> str:
    path = ""
    for _is_array, key in stack:
        if key is not None:
            path = json_child(path, key)
    return path


def _check_values(document: Any, max_digits: int) -> None:
    """One pass (no recursion) over every value: strings, numbers, duplicate keys."""
    pending = [("", document)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, dict):
            for key in getattr(node, "duplicates", ()):
                raise JSONRefused(json_child(path, key), _("duplicate key"))
            for key, value in node.items():
                _check_string(path or "$", key, _("a key with a NUL character"))
                pending.append((json_child(path, key), value))
        elif isinstance(node, list):
            pending.extend((json_child(path, i), value) for i, value in enumerate(node))
        elif isinstance(node, _TooLong):
            reason = format_lazy(_("an integer of more than {limit} digits"), limit=max_digits)
            raise JSONRefused(path or "$", reason)
        elif isinstance(node, _NotFinite):
            raise JSONRefused(path or "$", _("a number too large to be represented"))
        elif isinstance(node, str):
            _check_string(path or "$", node, _("a string with a NUL character"))


def _check_string(path: str, text: str, nul_reason) -> None:
    if "\x00" in text:
        raise JSONRefused(path, nul_reason)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JSONRefused(path, _("a string with a lone surrogate (not Unicode text)")) from None
