"""统一社会信用代码 (unified social credit code) check character, GB 32100-2015."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must be in CHARSET)."""
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    if len(code) != 18 or any(char not in CHARSET for char in code):
        return False
    return check_character(code[:17]) == code[17]


def validate_credit_code(code: str) -> None:
    if not is_valid_credit_code(code):
        raise ValidationError(
            _("%(code)s is not a valid unified social credit code (GB 32100-2015)."),
            code="invalid_credit_code",
            params={"code": code},
        )
