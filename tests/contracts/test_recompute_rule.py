"""The recompute rule: a prepared payment is computed again only after it is returned; approved
and paid ones never. The upsert refuses what the table forbids, a compute racing an approval
reports the raced period, and a result the columns cannot hold leaves a visible problem."""

import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from contracts import workflow
from contracts.bundles import bundle_import
from contracts.models import (
    Decision,
    Measurement,
    MechanismVersion,
    PaymentCalculation,
    PaymentRun,
    Period,
)
from contracts.services.approvals import (
    ActionRefused,
    payment_approve,
    payment_prepare,
    payment_return,
)
from contracts.services.calculation_writes import calculations_upsert
from contracts.services.payment_runs import payment_run_compute_chunk
from contracts.services.payments import (
    RECOMPUTED_FIELDS,
    payment_compute,
    payment_compute_enqueue,
    payments_compute,
)
from contracts.tasks import compute_payment
from tests.contracts.conftest import person

State = PaymentCalculation.State


@pytest.mark.django_db
def test_a_prepared_payment_is_not_recomputed_until_it_is_returned(
    people, english, django_capture_on_commit_callbacks
):
    # given a prepared payment whose inputs changed
    payment_prepare(calculation=people.calculation, user=people.preparer)
    before = PaymentCalculation.objects.values().get()
    Measurement.objects.filter(kpi__code="EFF-1").update(value=Decimal("90"))
    period = Period.objects.get()

    # when it is computed again: the endpoint refuses with the reason, queues nothing
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(people.preparer)
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post(f"/api/v1/periods/{period.pk}/compute/")
    assert answer.status_code == 409
    assert (
        answer.json()["detail"] == "The payment is prepared: return it first to compute it again."
    )
    assert queued == []
    # and the run (or the task) reports it as a problem and changes nothing
    outcome = payments_compute(period_ids=[period.pk], via="run")
    assert outcome.problems == [
        {"contract": "FS-FLOOD-2017-01", "period": "2026-Q2", "problem": "already prepared"}
    ]
    assert PaymentCalculation.objects.values().get() == before
    period.refresh_from_db()
    assert period.compute_problem == "already prepared"

    # when it is returned (a decision with a reason), it is recomputed: nothing stale kept
    payment_return(calculation=people.calculation, user=people.approver, reason="EFF-1 已更正")
    outcome = payments_compute(period_ids=[period.pk], via="run")
    calculation = PaymentCalculation.objects.get()
    assert (calculation.state, calculation.prepared_by, calculation.prepared_at) == (
        State.COMPUTED, None, None,
    )  # fmt: skip
    assert calculation.result["kpi_points"]["EFF-1"] == "15"
    assert list(Decision.objects.values_list("action", "reason")) == [
        ("prepare", ""), ("return", "EFF-1 已更正"),
    ]  # fmt: skip
    period.refresh_from_db()
    assert period.compute_problem == ""


@pytest.mark.django_db
def test_the_recompute_rule_is_the_tables(people, monkeypatch):
    # given the table changed to let prepared payments be recomputed
    compute = workflow.transition(PaymentCalculation, "compute")
    monkeypatch.setitem(
        workflow.PAYMENT.transitions,
        "compute",
        replace(compute, sources=compute.sources | {State.PREPARED}),
    )
    payment_prepare(calculation=people.calculation, user=people.preparer)
    # then computing, the API's check and the allowed actions follow
    payment_compute_enqueue(period=Period.objects.get(), user=people.preparer)
    people.calculation.refresh_from_db()
    assert "compute" in workflow.allowed_actions(people.calculation, people.preparer)
    assert payments_compute(period_ids=[people.calculation.period_id], via="run").computed
    assert PaymentCalculation.objects.get().state == State.COMPUTED


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [State.PREPARED, State.APPROVED])
def test_the_upsert_refuses_rows_whose_stored_state_forbids_it(people, stored):
    # given a stored payment in a state that may not be replaced
    approver = people.approver if stored == State.APPROVED else None
    PaymentCalculation.objects.update(
        state=stored, prepared_by=people.preparer, approved_by=approver
    )
    before = PaymentCalculation.objects.values().get()
    row = PaymentCalculation.objects.get()
    row.pk, row.state, row.payable, row.deduction = (
        None,
        State.COMPUTED,
        Decimal(1),
        Decimal(row.full_amount - 1),
    )
    # when the upsert is given a replacement, it writes nothing and returns it as refused
    with transaction.atomic():
        refused = calculations_upsert(
            [row], RECOMPUTED_FIELDS, replaceable=workflow.recomputable_states()
        )
    assert refused == [row]
    assert PaymentCalculation.objects.values().get() == before


@pytest.mark.django_db
def test_an_amount_beyond_the_columns_is_a_visible_problem(absurd):
    # given a contract whose payment would exceed what the amount columns hold
    period = absurd
    # when the task computes it
    outcome = payment_compute(period_id=period.pk, via="task")
    # then nothing is stored and the period says why (the compute endpoint's caller reads it)
    assert not PaymentCalculation.objects.exists()
    (problem,) = outcome.problems
    period.refresh_from_db()
    assert period.compute_problem.startswith("amount beyond 10,000,000,000,000")
    assert problem["problem"] == period.compute_problem


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_run_racing_an_approval_reports_the_raced_period_and_writes_the_rest(people, example):
    # given a chunk of two periods: one prepared, another agency's contract not computed yet
    bundle_import(document=example("cn-score-coefficient"))
    payment_prepare(calculation=people.calculation, user=people.preparer)
    raced = people.calculation.period
    other = Period.objects.exclude(pk=raced.pk).get()
    run = PaymentRun.objects.create(label="mixed", total=2, state=PaymentRun.State.RUNNING)
    errors = []

    def compute_chunk():
        try:
            payment_run_compute_chunk(run_id=run.pk, period_ids=[raced.pk, other.pk])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when the approval holds the payment's row while the chunk starts, then commits
    with transaction.atomic():
        payment_approve(calculation=people.calculation, user=people.approver)
        worker = threading.Thread(target=compute_chunk)
        worker.start()
        time.sleep(1)  # the chunk waits for the approval's row lock
        assert worker.is_alive()
    worker.join(timeout=30)

    # then the chunk neither failed nor touched the approved payment, and wrote the other
    assert errors == []
    run.refresh_from_db()
    assert run.problems == [
        {"contract": "FS-FLOOD-2017-01", "period": raced.label, "problem": "already approved"}
    ]
    assert (run.done, run.failed, run.state) == (1, 1, PaymentRun.State.DONE)
    assert PaymentCalculation.objects.get(period=raced).state == State.APPROVED
    assert PaymentCalculation.objects.get(period=other).run_id == run.pk


@pytest.mark.django_db
def test_a_final_payment_is_refused_to_the_compute_endpoint(people, english):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    with pytest.raises(ActionRefused, match="final"):
        payment_compute_enqueue(period=Period.objects.get(), user=people.preparer)


@pytest.fixture
def people_of(db):
    def official(contract):
        return person("official", "preparer", contract.government_party)

    return official


@pytest.fixture
def absurd(example):
    """cn-steps whose payment would exceed what the amount columns hold."""
    bundle_import(document=example("cn-steps"))
    version = MechanismVersion.objects.get()
    definition = version.definition
    definition["components"][0]["amount"] = "99999999999999999.00"
    MechanismVersion.objects.filter(pk=version.pk).update(definition=definition)
    return Period.objects.get()


@pytest.mark.django_db
def test_the_compute_endpoint_leaves_a_problem_the_caller_can_read(absurd, people_of):
    # given an official of the contract's agency
    official = people_of(absurd.contract)
    client = APIClient()
    client.force_authenticate(official)
    # when they ask for the computation (202) and the task runs
    answer = client.post(f"/api/v1/periods/{absurd.pk}/compute/")
    assert answer.status_code == 202
    compute_payment.apply(args=[absurd.pk]).get()
    # then the period they are pointed at says why there is no payment
    period = client.get(answer.json()["period_url"]).json()
    assert period["compute_problem"].startswith("amount beyond")
    assert client.get(answer.json()["status_url"]).json()["count"] == 0


@pytest.mark.django_db
def test_a_run_reports_an_absurd_amount_as_a_problem(absurd):
    run = PaymentRun.objects.create(label=absurd.label, total=1, state=PaymentRun.State.RUNNING)
    payment_run_compute_chunk(run_id=run.pk, period_ids=[absurd.pk])
    run.refresh_from_db()
    assert (run.failed, run.done, run.state) == (1, 0, PaymentRun.State.DONE)
    assert run.problems[0]["problem"].startswith("amount beyond")
