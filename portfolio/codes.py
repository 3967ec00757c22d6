"""Codes (contract, project, KPI, milestone, component, event codes): one normal form.

A code is compared and stored NFKC-normalised and trimmed, so the full-width `ＣＳ-WIFI-01` or
`CS-WIFI-01 ` is the existing `CS-WIFI-01`, not a new contract that looks the same. What
normalisation cannot make visible is refused: control characters (NUL included), format
characters (zero-width space, right-to-left override, BOM), whitespace inside a code,
surrogates, private-use and unassigned characters. The length is checked after
normalisation, in Python: SQLite does not enforce `max_length`.
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Unicode general categories a code may not contain: control, format, surrogate, private
# use, unassigned; separators (spaces, line and paragraph separators).
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


class CodeError(ValueError):
    """Not a code we accept; the message says why."""


def code_normalize(raw: str, *, max_length: int) -> str:
    """The code in its normal form, or CodeError."""
    code = unicodedata.normalize("NFKC", raw).strip()
    if not code:
        raise CodeError(_("must not be empty"))
    for char in code:
        if char.isspace() or unicodedata.category(char) in REFUSED_CATEGORIES:
            raise CodeError(
                format_lazy(
                    _("must not contain {char} (control, format or space characters)"),
                    char=f"U+{ord(char):04X}",
                )
            )
    if len(code) > max_length:
        raise CodeError(format_lazy(_("must be at most {limit} characters"), limit=max_length))
    return code


class CodeFormField(forms.CharField):
    """A form field for a code: normalised, and refused with the reason."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return code_normalize(value, max_length=self.max_length or len(value))
        except CodeError as exc:
            raise ValidationError(str(exc), code="invalid_code") from None
