"""portfolio/money.py is the one place money is rounded and formatted: half-up everywhere,
including the template filters and the fiscal lines that used to round half-even."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from portfolio.money import (
    MoneyError,
    money_in_wan,
    money_json_number,
    money_parse,
    money_round,
    money_short,
    money_text,
)
from portfolio.selectors import FiscalYear


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_rounding_is_half_up_where_half_even_would_differ():
    assert money_round(Decimal("0.125")) == Decimal("0.13")
    assert money_round(Decimal("-0.125")) == Decimal("-0.13")
    assert money_text(Decimal("3552000.125")) == "3,552,000.13"
    assert money_in_wan(Decimal("250")) == "0.03"  # 0.025 万元


def test_the_template_filters_use_the_money_module():
    assert render("{% load figures %}{{ a|money }}", a=Decimal("1234567.125")) == "1,234,567.13"
    assert render("{% load figures %}{{ a|money }}", a="3552000.00") == "3,552,000.00"
    assert render("{% load money %}{{ a|wan }}", a=Decimal("250")) == "0.03"
    assert render("{% load money %}{{ a|yi }}", a=Decimal("134210000000")) == "1,342.10"
    assert render("{% load money %}{{ a|yi }}", a=None) == "—"


def test_short_forms_in_both_languages():
    with translation.override("zh-hans"):
        assert money_short(Decimal("3552000")) == "355.20万元"
        assert money_short(Decimal("665000000")) == "6.65亿元"
    with translation.override("en"):
        assert money_short(Decimal("665000000")) == "CNY 665 million"


def test_parsing_refuses_what_the_columns_cannot_hold():
    assert money_parse("1,234.5") == Decimal("1234.50")
    with translation.override("en"):
        for text, reason in [
            ("0.001", "decimal places"),
            ("10000000000000.01", "at most"),
            ("abc", "not a number"),
            ("NaN", "finite"),
        ]:
            with pytest.raises(MoneyError, match=reason):
                money_parse(text)
    with translation.override("zh-hans"), pytest.raises(MoneyError, match="最多 2 位小数"):
        money_parse("0.001")
    with pytest.raises(MoneyError):
        money_parse(1.5)


def test_json_numbers_read_back_to_the_decimal_or_are_refused():
    assert money_json_number(Decimal("1.005")) == 1.01
    assert Decimal(str(money_json_number(Decimal("9999999999999.99")))) == Decimal(
        "9999999999999.99"
    )
    with pytest.raises(ValueError):
        money_json_number(Decimal("99999999999999.99"))


def test_fiscal_lines_round_half_up():
    year = FiscalYear(2026, obligations=Decimal("1"), general_expenditure=Decimal("0.25"))
    # 10% of 0.25 = 0.025 → 0.03 (half-even gave 0.02); the share is 400%
    assert year.ceiling == Decimal("0.03")
    assert year.share == Decimal("400.0000")
