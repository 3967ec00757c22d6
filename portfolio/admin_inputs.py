"""What admin forms accept, beyond the model fields' own checks (SQLite enforces neither
`max_length` nor `max_digits`; Django's forms check both): codes in their normal form
(portfolio/codes.py), amounts within what money columns may hold (`money_parse`) and KPI
figures within their sane range (contracts/numbers.py)."""

from django.core.exceptions import ValidationError
from django.db import models

from contracts.models import KPI_DECIMAL
from contracts.numbers import validate_figure
from portfolio.codes import CodeFormField
from portfolio.money import MoneyError, money_parse

# Every model's `code` (contract, project, KPI, milestone, deduction event) is a code.
CODE_FIELDS = {"code"}
MONEY_FIELDS = {"total_investment", "general_expenditure", "amount"}


def validate_money(value) -> None:
    if value is None:
        return
    try:
        money_parse(value)
    except MoneyError as exc:
        raise ValidationError(str(exc), code="invalid_money") from None


class CheckedInputsMixin:
    """For ModelAdmin and inline classes: code fields normalised and checked, money fields
    bounded."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A slug (a telemetry stream's code) keeps its own form field and checks: Django's
        # SlugField passes `allow_unicode`, which a code's form field does not take.
        is_code = (
            db_field.name in CODE_FIELDS
            and isinstance(db_field, models.CharField)
            and not isinstance(db_field, models.SlugField)
        )
        if is_code and not db_field.choices:
            kwargs.setdefault("form_class", CodeFormField)
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in MONEY_FIELDS:
            field.validators.append(validate_money)
        elif field is not None and _is_figure(db_field):
            field.validators.append(validate_figure)
        return field


def _is_figure(db_field) -> bool:
    return isinstance(db_field, models.DecimalField) and (
        db_field.max_digits,
        db_field.decimal_places,
    ) == (KPI_DECIMAL["max_digits"], KPI_DECIMAL["decimal_places"])
