"""The migration to whole fen converts the amounts already stored, on SQLite and PostgreSQL:
migrated forward from the previous schema with data in it, every amount reads back the same,
the add-up check holds, and (PostgreSQL) the guard on approved payments is installed again."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from contracts.models import PaymentAdjustment, PaymentCalculation
from portfolio.models import CityBudget, Project

BEFORE = [("contracts", "0004_approvals"), ("portfolio", "0001_initial")]
FULL, PAYABLE, DEDUCTION = Decimal("2333333.33"), Decimal("2151232.50"), Decimal("182100.83")


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def rows_before_the_migration(apps) -> None:
    """An approved payment with cents, an adjustment, a budget and a project, written through
    the models as they were (DecimalField)."""
    city = apps.get_model("portfolio", "City").objects.create(name="迁移市")
    Party = apps.get_model("portfolio", "Party")
    government = Party.objects.create(kind="government", name="迁移市数据局")
    company = Party.objects.create(kind="enterprise", name="迁移科技有限公司")
    User = apps.get_model("portfolio", "User")
    preparer, approver = (
        User.objects.create(username=name, role=role, party=government)
        for name, role in (("m_preparer", "preparer"), ("m_approver", "approver"))
    )
    apps.get_model("portfolio", "CityBudget").objects.create(
        city=city, year=2026, general_expenditure=Decimal("134210000000.07")
    )
    project = apps.get_model("portfolio", "Project").objects.create(
        code="MIG-1", name="迁移项目", city=city, sector="public_wifi", stage="execution",
        operation_mode="BOT", return_mechanism="government_pays",
        total_investment=Decimal("52345678.91"), cooperation_years=10,
    )  # fmt: skip
    contract = apps.get_model("contracts", "Contract").objects.create(
        code="MIG-1", project=project, title="迁移合同", government_party=government,
        private_party=company, signed_on=date(2020, 1, 1), starts_on=date(2020, 1, 1),
        ends_on=date(2030, 12, 31), currency="CNY", frequency="annual",
    )  # fmt: skip
    version = apps.get_model("contracts", "MechanismVersion").objects.create(
        contract=contract, version=1, effective_from=contract.starts_on,
        type="score_coefficient", definition={},
    )  # fmt: skip
    period = apps.get_model("contracts", "Period").objects.create(
        contract=contract, label="2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
        due_on=date(2027, 1, 15), state="locked",
    )  # fmt: skip
    now = timezone.now()
    calculation = apps.get_model("contracts", "PaymentCalculation").objects.create(
        period=period, mechanism_version=version, state="approved", inputs={}, result={},
        full_amount=FULL, payable=PAYABLE, deduction=DEDUCTION, computed_via="command",
        prepared_by=preparer, prepared_at=now, approved_by=approver, approved_at=now,
    )  # fmt: skip
    apps.get_model("contracts", "PaymentAdjustment").objects.create(
        calculation=calculation, amount=Decimal("-0.01"), reason="rounding", created_by=approver
    )


@pytest.mark.django_db(transaction=True)
def test_migrating_forward_converts_every_amount_to_fen_exactly():
    # given the schema before the migration, with amounts that carry cents
    executor = migrate(BEFORE)
    rows_before_the_migration(executor.loader.project_state(BEFORE).apps)

    # when migrating forward
    migrate(executor.loader.graph.leaf_nodes())

    # then every amount reads back as it was, now exact
    calculation = PaymentCalculation.objects.get()
    assert (calculation.full_amount, calculation.payable, calculation.deduction) == (
        FULL,
        PAYABLE,
        DEDUCTION,
    )
    assert PaymentAdjustment.objects.get().amount == Decimal("-0.01")
    assert CityBudget.objects.get().general_expenditure == Decimal("134210000000.07")
    assert Project.objects.get().total_investment == Decimal("52345678.91")
    # stored as whole fen, so the database's own check is integer arithmetic
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_amount, payable, deduction FROM contracts_paymentcalculation")
        assert cursor.fetchone() == (233333333, 215123250, 18210083)
    assert PaymentCalculation.objects.filter(full_amount=FULL).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_after_the_migration_the_audit_trail_and_the_guard_still_hold():
    # given an approved payment (and its audit event) written before the migration
    executor = migrate(BEFORE)
    rows_before_the_migration(executor.loader.project_state(BEFORE).apps)

    # when migrating forward
    migrate(executor.loader.graph.leaf_nodes())

    # then the audit event written before the migration reads in yuan too
    event = PaymentCalculation.pgh_event_model.objects.get()
    assert (event.full_amount, event.payable, event.deduction) == (FULL, PAYABLE, DEDUCTION)
    # and the database still refuses to change an approved payment's amounts
    with pytest.raises(Exception, match="Cannot update rows"), transaction.atomic():
        PaymentCalculation.objects.update(payable=FULL, deduction=0)
