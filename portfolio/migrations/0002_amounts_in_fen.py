# Amounts as whole fen (cents) instead of decimals: exact on SQLite too (portfolio/fields.py).

import portfolio.fields
from django.db import migrations

from portfolio.migration_operations import AmountsToFen


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0001_initial"),
    ]

    operations = [
        AmountsToFen(
            model_name="citybudget",
            fields=[
                (
                    "general_expenditure",
                    portfolio.fields.MoneyField(verbose_name="general public budget expenditure"),
                ),
            ],
        ),
        AmountsToFen(
            model_name="project",
            fields=[
                ("total_investment", portfolio.fields.MoneyField(verbose_name="total investment")),
            ],
        ),
    ]
