"""The workflow table (contracts/workflow.py) drives the services' guards, the allowed actions
(admin buttons, API), and the "awaiting my action" queues: change a rule and all follow."""

from dataclasses import replace

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from contracts import workflow
from contracts.models import Measurement, PaymentCalculation, Period
from contracts.selectors import measurements_awaiting, payments_awaiting
from contracts.services.approvals import (
    ActionRefused,
    payment_approve,
    payment_mark_paid,
    payment_prepare,
    payment_return,
)
from portfolio.models import User

pytestmark = pytest.mark.django_db
State = PaymentCalculation.State


def buttons(client, calculation) -> set[str]:
    page = client.get(
        reverse("admin:contracts_paymentcalculation_change", args=[calculation.pk])
    ).content.decode()
    return {
        action
        for action in ("prepare", "approve", "return", "mark_paid")
        if reverse("admin:payment_decide", args=[calculation.pk, action]) in page
    }


def api_actions(user, calculation) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/payments/{calculation.pk}/").json()["actions"]


def test_the_table_as_it_stands(people):
    calculation = people.calculation
    assert workflow.allowed_actions(calculation, people.preparer) == [
        "compute", "prepare", "return",
    ]  # fmt: skip
    assert workflow.allowed_actions(calculation, people.approver) == ["compute", "return"]
    assert workflow.allowed_actions(calculation, people.other_official) == []
    assert workflow.allowed_actions(calculation, people.enterprise) == []
    assert workflow.allowed_actions(calculation, people.auditor) == []
    assert list(payments_awaiting(user=people.preparer)) == [calculation]
    assert not payments_awaiting(user=people.approver).exists()

    payment_prepare(calculation=calculation, user=people.preparer)
    calculation.refresh_from_db()
    # four eyes: the preparer is not offered the approval; another approver is
    assert workflow.allowed_actions(calculation, people.preparer) == ["return"]
    assert workflow.allowed_actions(calculation, people.approver) == ["approve", "return"]
    assert list(payments_awaiting(user=people.approver)) == [calculation]
    assert not payments_awaiting(user=people.preparer).exists()


def test_changing_a_rule_changes_guards_buttons_api_and_queue(people, client, monkeypatch):
    # given the rule changed: approvers prepare, preparers no longer do
    prepare = workflow.transition(PaymentCalculation, "prepare")
    monkeypatch.setitem(
        workflow.PAYMENT.transitions,
        "prepare",
        replace(prepare, roles=frozenset({User.Role.APPROVER})),
    )
    calculation = people.calculation

    # then the allowed actions, the admin's buttons and the API's actions follow
    assert "prepare" not in workflow.allowed_actions(calculation, people.preparer)
    assert "prepare" in workflow.allowed_actions(calculation, people.approver)
    client.force_login(people.preparer)
    assert "prepare" not in buttons(client, calculation)
    client.force_login(people.approver)
    assert "prepare" in buttons(client, calculation)
    assert "prepare" in api_actions(people.approver, calculation)
    assert "prepare" not in api_actions(people.preparer, calculation)
    # and the queue
    assert not payments_awaiting(user=people.preparer).exists()
    assert list(payments_awaiting(user=people.approver)) == [calculation]
    # and the guard
    with translation.override("en"):
        with pytest.raises(ActionRefused, match="Your role may not do this"):
            payment_prepare(calculation=calculation, user=people.preparer)
        payment_prepare(calculation=calculation, user=people.approver)
        # four eyes still holds: the approver who prepared it may not approve it
        with pytest.raises(ActionRefused, match="another official must approve"):
            payment_approve(calculation=calculation, user=people.approver)
    assert payment_approve(calculation=calculation, user=people.second_approver).state == (
        State.APPROVED
    )


def test_the_api_answers_409_with_the_tables_reason(people):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(people.approver)
    answer = client.post(f"/api/v1/payments/{people.calculation.pk}/prepare/")
    assert answer.status_code == 409
    assert answer.json() == {"detail": "Your role may not do this."}
    answer = client.post(f"/api/v1/payments/{people.calculation.pk}/approve/")
    assert answer.json() == {
        "detail": "The payment is computed; this needs it prepared.",
    }


def test_each_condition_agrees_with_its_queue_filter(people):
    """Every condition is written twice (for one object, as a filter): they agree on the
    measurements and payments at hand, in every state the conditions look at."""
    for locked in (False, True):
        Period.objects.update(state=Period.State.LOCKED if locked else Period.State.SUBMITTED)
        Measurement.objects.filter(kpi__code="OUT-1").update(state="submitted")
        Measurement.objects.filter(kpi__code="OUT-2").update(state="submitted", is_current=False)
        for table in workflow.TABLES.values():
            for step in table.transitions.values():
                for condition in step.conditions:
                    rows = list(table.model.objects.all())
                    matching = set(
                        table.model.objects.filter(condition.q()).values_list("pk", flat=True)
                    )
                    assert {r.pk for r in rows if condition.holds(r)} == matching


def test_measurements_awaiting_review_come_from_the_table(people):
    Measurement.objects.filter(kpi__code="OUT-1").update(state="submitted")
    (waiting,) = measurements_awaiting(user=people.preparer)
    assert waiting.kpi.code == "OUT-1"
    assert measurements_awaiting(user=people.enterprise).count() == 0
    Period.objects.update(state=Period.State.LOCKED)
    assert measurements_awaiting(user=people.approver).count() == 0


def test_the_system_may_only_compute(people):
    assert workflow.allowed_actions(people.calculation, None) == ["compute"]
    with pytest.raises(ActionRefused):
        workflow.transition_check(people.calculation, "prepare", None)


def test_a_paid_payment_offers_only_adjustments(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    from datetime import date

    payment_mark_paid(
        calculation=people.calculation, user=people.approver, reference="GK-1",
        paid_on=date(2026, 8, 1),
    )  # fmt: skip
    people.calculation.refresh_from_db()
    assert workflow.allowed_actions(people.calculation, people.preparer) == ["adjust"]
    period = Period.objects.select_related("contract").get()
    assert workflow.allowed_actions(period, people.approver) == ["reopen"]
    assert workflow.allowed_actions(period, people.preparer) == []


def test_a_return_clears_the_preparation_and_a_reason_is_needed(people, english):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    with pytest.raises(ActionRefused, match="Say why the payment is returned"):
        payment_return(calculation=people.calculation, user=people.approver, reason=" ")
    calculation = payment_return(
        calculation=people.calculation, user=people.approver, reason="数据有误"
    )
    calculation.refresh_from_db()
    assert (calculation.state, calculation.prepared_by, calculation.prepared_at) == (
        State.RETURNED, None, None,
    )  # fmt: skip


def test_a_period_not_computed_yet_offers_compute_to_its_officials(people):
    PaymentCalculation.objects.all().delete()
    period = Period.objects.select_related("contract").get()
    Period.objects.filter(pk=period.pk).update(state=Period.State.SUBMITTED)
    period.refresh_from_db()
    assert "compute" in workflow.allowed_actions(period, people.preparer)
    assert "compute" not in workflow.allowed_actions(period, people.other_official)
    assert "compute" not in workflow.allowed_actions(period, people.enterprise)
