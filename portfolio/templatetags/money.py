"""Money in the units Chinese budget documents use, as template filters: 万元 (`wan`) for
projects and payments, 亿元 (`yi`) for budgets. The rounding and formatting are
`portfolio.money`'s. `short` writes an amount with its unit in the reader's language:
"6.65亿元" or "CNY 665 million"."""

from django import template

from portfolio.money import money_in_wan, money_in_yi, money_short

register = template.Library()

register.filter("wan", money_in_wan)  # 1234567.89 → "123.46"
register.filter("yi", money_in_yi)  # 134210000000 → "1,342.10"
register.filter("short", money_short)  # 665000000 → "6.65亿元" / "CNY 665 million"
