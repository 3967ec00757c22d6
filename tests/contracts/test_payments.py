"""Payment calculations: the shared examples through the command, the service's guards, and
the database's own check that amounts add up."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from contracts.bundles import BundleInvalid, bundle_import
from contracts.models import Measurement, PaymentCalculation, Period
from contracts.services.approvals import (
    ActionRefused,
    payment_approve,
    payment_mark_paid,
    payment_prepare,
)
from contracts.services.payments import payment_compute_enqueue, payments_compute
from contracts.synthetic import synthetic_portfolio_create
from tests.conftest import EXAMPLE_NAMES

pytestmark = pytest.mark.django_db


def compute_json(code: str, label: str, capsys) -> dict:
    call_command("compute_payments", "--contract", code, "--period", label, "--json")
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_command_reproduces_every_expected_figure(example, name, capsys):
    # given an imported example
    doc = example(name)
    bundle_import(document=doc)
    for label, expected in doc["expected"].items():
        # when its period is computed through the command
        printed = compute_json(doc["contract"]["code"], label, capsys)
        # then every expected figure is printed exactly, as a decimal string
        assert printed["contract"] == doc["contract"]["code"]
        assert printed["period"] == label
        for key, value in expected.items():
            assert printed[key] == value, key
        # and the stored calculation says the same, with its inputs
        calculation = PaymentCalculation.objects.get(period__label=label)
        assert calculation.payable == Decimal(expected["payable"])
        assert calculation.inputs["evaluation"]["period"] == label
        assert calculation.computed_via == PaymentCalculation.Via.COMMAND


def test_a_period_lacking_measurements_is_reported_not_computed(example):
    bundle_import(document=example("cn-score-coefficient"))
    Measurement.objects.filter(kpi__code__in=["OUT-2", "MGT-3"]).delete()

    outcome = payments_compute(
        period_ids=list(Period.objects.values_list("pk", flat=True)), via="command"
    )

    assert outcome.computed == []
    assert outcome.problems == [
        {
            "contract": "CS-WIFI-2016-01",
            "period": "2026",
            "problem": "missing measurements",
            "missing": ["OUT-2", "MGT-3"],
        }
    ]
    assert not PaymentCalculation.objects.exists()


def test_measurements_not_yet_accepted_do_not_count(example):
    bundle_import(document=example("cn-steps"))
    Measurement.objects.filter(kpi__code="EFF-1").update(state=Measurement.State.SUBMITTED)

    with pytest.raises(
        CommandError, match="FS-FLOOD-2017-01 2026-Q2: missing measurements: KPIs EFF-1"
    ):
        call_command("compute_payments", "--contract", "FS-FLOOD-2017-01", "--period", "2026-Q2")


def test_recomputing_replaces_a_computed_or_returned_calculation(example):
    bundle_import(document=example("cn-steps"))
    period_ids = list(Period.objects.values_list("pk", flat=True))
    first = payments_compute(period_ids=period_ids, via="command").computed[0]
    PaymentCalculation.objects.update(state=PaymentCalculation.State.RETURNED)
    Measurement.objects.filter(kpi__code="EFF-1").update(value=Decimal("90"))

    payments_compute(period_ids=period_ids, via="task")

    calculation = PaymentCalculation.objects.get()
    assert calculation.pk == first.pk
    assert calculation.state == PaymentCalculation.State.COMPUTED  # to be checked again
    assert calculation.result["kpi_points"]["EFF-1"] == "15"
    assert calculation.computed_via == "task"


@pytest.mark.parametrize("state", PaymentCalculation.FINAL_STATES)
def test_an_approved_or_paid_calculation_is_never_touched(people, state):
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    calculation = payment_approve(calculation=calculation, user=people.approver)
    if state == "paid":
        payment_mark_paid(
            calculation=calculation,
            user=people.approver,
            reference="GK-1",
            paid_on=date(2026, 8, 1),
        )
    before = PaymentCalculation.objects.values().get()
    Measurement.objects.filter(kpi__code="EFF-1").update(value=Decimal("90"))

    outcome = payments_compute(period_ids=[calculation.period_id], via="command")

    assert outcome.problems[0]["problem"] == f"already {state}"
    assert PaymentCalculation.objects.values().get() == before


def test_queueing_an_approved_payment_is_refused_before_anything_is_queued(
    people, english, django_capture_on_commit_callbacks
):
    # given an approved payment
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=calculation, user=people.approver)

    # when its period is queued for computing, then the caller is told, and nothing is queued
    with (
        django_capture_on_commit_callbacks() as queued,
        pytest.raises(ActionRefused, match="final"),
    ):
        payment_compute_enqueue(period=calculation.period, user=people.preparer)
    assert queued == []


def test_the_database_refuses_amounts_that_do_not_add_up(example):
    bundle_import(document=example("cn-steps"))
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentCalculation.objects.update(payable=Decimal("3552000.01"))


@pytest.mark.parametrize(
    "change, path",
    [
        (lambda d: d["contract"]["kpis"][0].update(target="97"), "contract.kpis"),
        (
            lambda d: d["contract"]["mechanism"]["components"][0].update(amount="1.00"),
            "contract.mechanism",
        ),
    ],
)
def test_a_mechanism_version_in_use_is_never_changed_by_a_reimport(example, english, change, path):
    # given a computed period
    bundle_import(document=example("cn-steps"))
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    # when a bundle with a different mechanism is imported over it
    doc = example("cn-steps")
    change(doc)
    with pytest.raises(BundleInvalid) as error:
        bundle_import(document=doc)
    # then it is refused: the calculation stays reproducible from its version
    assert str(error.value.errors[0]).startswith(f"{path}: differs from mechanism version 1")
    calculation = PaymentCalculation.objects.get()
    assert calculation.mechanism_version.kpis.get(code="OUT-1").target == Decimal("98")


@pytest.mark.postgres_only
def test_every_calculation_written_and_replaced_leaves_an_audit_event():
    # given 30 contracts with a submitted period, computed once
    synthetic_portfolio_create(contracts=30)
    period_ids = list(Period.objects.values_list("pk", flat=True))
    first = payments_compute(period_ids=period_ids, via="command").computed
    # when one measurement changes and the periods are computed again
    Measurement.objects.filter(period_id=period_ids[0], kpi__code="K03").update(value="90")
    payments_compute(period_ids=period_ids, via="task")
    # then each calculation has its insert event and its update event, which holds what changed
    events = PaymentCalculation.pgh_event_model.objects
    ids = sorted(c.pk for c in first)
    for label in ("insert", "update"):
        assert sorted(events.filter(pgh_label=label).values_list("pgh_obj_id", flat=True)) == ids
    changed = PaymentCalculation.objects.get(period_id=period_ids[0])
    update = events.get(pgh_label="update", pgh_obj_id=changed.pk)
    assert (update.computed_via, update.payable, update.result) == (
        "task",
        changed.payable,
        changed.result,
    )
