"""The payment workflow: roles, agencies, four eyes, immutability, and the decision trail."""

import html
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from contracts.models import Decision, PaymentCalculation, Period
from contracts.services.approvals import (
    ActionRefused,
    payment_adjust,
    payment_approve,
    payment_mark_paid,
    payment_prepare,
    payment_return,
    period_reopen,
)
from contracts.services.payments import payments_compute

State = PaymentCalculation.State


@pytest.mark.django_db
def test_the_whole_workflow_records_who_did_what(people):
    # when a preparer prepares, another official approves and the payment is paid
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    calculation = payment_approve(calculation=calculation, user=people.approver)
    calculation = payment_mark_paid(
        calculation=calculation,
        user=people.approver,
        reference="GK-2026-001",
        paid_on=date(2026, 8, 3),
    )
    # then every step is stamped, and the period is locked
    calculation.refresh_from_db()
    assert (calculation.state, calculation.prepared_by, calculation.approved_by) == (
        State.PAID, people.preparer, people.approver,
    )  # fmt: skip
    assert calculation.paid_reference == "GK-2026-001"
    assert calculation.period.state == Period.State.LOCKED
    assert [(d.action, d.user) for d in Decision.objects.all()] == [
        ("prepare", people.preparer), ("approve", people.approver), ("mark_paid", people.approver),
    ]  # fmt: skip


@pytest.mark.django_db
def test_four_eyes_the_preparer_can_never_approve(people, english):
    # given an official with both hats: he prepared it
    people.preparer.role = "approver"
    people.preparer.save()
    calculation = people.calculation
    PaymentCalculation.objects.filter(pk=calculation.pk).update(
        state=State.PREPARED, prepared_by=people.preparer
    )
    # then he cannot approve it, whatever his role now
    with pytest.raises(ActionRefused, match="another official must approve"):
        payment_approve(calculation=calculation, user=people.preparer)
    # and the database refuses it too
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentCalculation.objects.filter(pk=calculation.pk).update(
            state=State.APPROVED, approved_by=people.preparer
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, step",
    [
        ("approver", "prepare"),  # wrong role
        ("other_official", "prepare"),  # another agency
        ("enterprise", "prepare"),
        ("auditor", "prepare"),
        ("preparer", "approve"),  # not prepared yet, and the wrong role
        ("approver", "approve"),  # not prepared yet
    ],
)
def test_steps_are_refused_to_the_wrong_people_or_state(people, who, step):
    service = {"prepare": payment_prepare, "approve": payment_approve}[step]
    with pytest.raises(ActionRefused):
        service(calculation=people.calculation, user=getattr(people, who))
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.COMPUTED
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_a_returned_payment_needs_a_reason_and_is_recomputed_later(people):
    with pytest.raises(ActionRefused):
        payment_return(calculation=people.calculation, user=people.preparer, reason="  ")

    payment_return(calculation=people.calculation, user=people.preparer, reason="数据有误")
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.RETURNED
    assert Decision.objects.get().reason == "数据有误"

    payments_compute(period_ids=[people.calculation.period_id], via="command")
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.COMPUTED


@pytest.mark.django_db
def test_reopening_a_locked_period_needs_an_approver_and_a_reason(people, english):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    period = Period.objects.get()

    with pytest.raises(ActionRefused, match="Say why"):
        period_reopen(period=period, user=people.approver, reason="")
    with pytest.raises(ActionRefused):
        period_reopen(period=period, user=people.preparer, reason="复核")
    period_reopen(period=period, user=people.approver, reason="审计发现第3季度数据需复核")

    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED
    assert Decision.objects.get(action="reopen").reason == "审计发现第3季度数据需复核"


@pytest.mark.django_db
def test_an_approved_payment_is_corrected_by_an_adjustment_not_an_edit(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    before = PaymentCalculation.objects.values("payable", "deduction").get()

    adjustment = payment_adjust(
        calculation=people.calculation,
        user=people.approver,
        amount=Decimal("-1200.00"),
        reason="重复计费",
    )

    assert adjustment.amount == Decimal("-1200.00")
    assert PaymentCalculation.objects.values("payable", "deduction").get() == before


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_give_exactly_one(people):
    # given a prepared payment and two approvers pressing "approve" at the same moment
    payment_prepare(calculation=people.calculation, user=people.preparer)
    barrier, outcomes = threading.Barrier(2), []

    def approve(user):
        try:
            barrier.wait()
            payment_approve(calculation=people.calculation, user=user)
            outcomes.append("approved")
        except ActionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(u,))
        for u in (people.approver, people.second_approver)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one approval happened
    assert sorted(outcomes) == ["approved", "refused"]
    assert Decision.objects.filter(action="approve").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_sql_cannot_change_or_delete_an_approved_payment(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    table = PaymentCalculation._meta.db_table
    for sql in (
        f"UPDATE {table} SET payable = payable - 1, deduction = deduction + 1",
        f"UPDATE {table} SET state = 'computed'",
        f"DELETE FROM {table}",
    ):
        with (
            pytest.raises(Exception, match="Cannot"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    # paying adds a reference and a date: allowed
    payment_mark_paid(
        calculation=people.calculation,
        user=people.approver,
        reference="GK-9",
        paid_on=date(2026, 9, 1),
    )


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_audit_trail_records_bulk_updates_too(people):
    PaymentCalculation.objects.update(state=State.RETURNED)  # a bulk update, no save() involved
    events = PaymentCalculation.pgh_event_model.objects.filter(pgh_obj=people.calculation)
    assert list(events.order_by("pgh_id").values_list("state", flat=True)) == [
        "computed",
        "returned",
    ]


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_audit_trail_is_shown_per_object_in_the_admin(people, admin_client):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    page = admin_client.get(
        reverse("admin:contracts_paymentcalculation_change", args=[people.calculation.pk])
    ).content.decode()
    events_url = f"?method=tracks&obj=contracts.PaymentCalculation:{people.calculation.pk}"
    assert events_url in page  # the "Events" link on the payment page

    events = admin_client.get(reverse("admin:pghistory_events_changelist") + events_url)

    assert events.status_code == 200
    assert html.unescape(events.content.decode()).count('"state": ["computed", "prepared"]') == 1
