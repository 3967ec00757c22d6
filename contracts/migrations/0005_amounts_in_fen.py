# Amounts as whole fen (cents) instead of decimals: exact on SQLite too (portfolio/fields.py).
# PostgreSQL refuses to change the type of a column a trigger's condition reads, so the guard
# on approved payments is dropped around the conversion and installed again, unchanged.

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

import portfolio.fields
from portfolio.migration_operations import AmountsToFen

AMOUNTS = [
    ("full_amount", portfolio.fields.MoneyField(verbose_name="full amount")),
    ("deduction", portfolio.fields.MoneyField(verbose_name="deduction")),
    ("payable", portfolio.fields.MoneyField(verbose_name="payable")),
]
ADJUSTMENT = [
    (
        "amount",
        portfolio.fields.MoneyField(
            help_text="positive: paid in addition; negative: recovered", verbose_name="amount"
        ),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_approvals"),
        ("portfolio", "0002_amounts_in_fen"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="paymentcalculation",
            name="final_payment_amounts_immutable",
        ),
        AmountsToFen(model_name="paymentcalculation", fields=AMOUNTS),
        AmountsToFen(model_name="paymentcalculationevent", fields=AMOUNTS),
        AmountsToFen(model_name="paymentadjustment", fields=ADJUSTMENT),
        AmountsToFen(model_name="paymentadjustmentevent", fields=ADJUSTMENT),
        pgtrigger.migrations.AddTrigger(
            model_name="paymentcalculation",
            trigger=pgtrigger.compiler.Trigger(
                name="final_payment_amounts_immutable",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."state" IN (\'approved\', \'paid\') AND (NEW."state" IN (\'computed\', \'prepared\', \'returned\') OR OLD."period_id" IS DISTINCT FROM (NEW."period_id") OR OLD."mechanism_version_id" IS DISTINCT FROM (NEW."mechanism_version_id") OR OLD."inputs" IS DISTINCT FROM (NEW."inputs") OR OLD."result" IS DISTINCT FROM (NEW."result") OR OLD."score" IS DISTINCT FROM (NEW."score") OR OLD."grade" IS DISTINCT FROM (NEW."grade") OR OLD."coefficient" IS DISTINCT FROM (NEW."coefficient") OR OLD."full_amount" IS DISTINCT FROM (NEW."full_amount") OR OLD."deduction" IS DISTINCT FROM (NEW."deduction") OR OLD."payable" IS DISTINCT FROM (NEW."payable") OR OLD."prepared_by_id" IS DISTINCT FROM (NEW."prepared_by_id") OR OLD."prepared_at" IS DISTINCT FROM (NEW."prepared_at") OR OLD."approved_by_id" IS DISTINCT FROM (NEW."approved_by_id") OR OLD."approved_at" IS DISTINCT FROM (NEW."approved_at")))',
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;",
                    hash="69fb8adc4b946510cac7f448f8c2b773da7f605e",
                    operation="UPDATE",
                    pgid="pgtrigger_final_payment_amounts_immutable_1f4ab",
                    table="contracts_paymentcalculation",
                    when="BEFORE",
                ),
            ),
        ),
    ]
