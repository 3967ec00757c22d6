"""Adjustments to an approved payment: proposed by one official with a reason, approved by
another (four eyes, in the service and in the database) or rejected; only approved ones count
(the payment page, reports, OCDS)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from contracts.models import Decision, PaymentAdjustment
from contracts.selectors import adjustments_awaiting, payment_review
from contracts.services.approvals import (
    ActionRefused,
    adjustment_approve,
    adjustment_reject,
    payment_adjust,
    payment_approve,
    payment_prepare,
)
from reports.selectors import ocds_contracts_data

pytestmark = pytest.mark.django_db
State = PaymentAdjustment.State


@pytest.fixture
def approved(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    return payment_approve(calculation=people.calculation, user=people.approver)


def propose(people, calculation, user=None, amount="-1200.00"):
    return payment_adjust(
        calculation=calculation, user=user or people.preparer, amount=Decimal(amount),
        reason="重复计费",
    )  # fmt: skip


def counted(people):
    (data,) = ocds_contracts_data(contracts=type(people.contract).objects.all())
    return [a.amount for a in data.adjustments]


def test_an_adjustment_counts_only_once_another_official_approves_it(people, approved, english):
    # given an adjustment proposed by the preparer
    adjustment = propose(people, approved)
    assert adjustment.state == State.PROPOSED
    assert counted(people) == []
    assert list(payment_review(calculation=approved)["adjustments"]) == []
    assert list(adjustments_awaiting(user=people.approver)) == [adjustment]
    assert list(adjustments_awaiting(user=people.preparer)) == []
    # the proposer cannot approve it (were they an approver)
    people.preparer.role = "approver"
    people.preparer.save()
    assert list(adjustments_awaiting(user=people.preparer)) == []
    with pytest.raises(ActionRefused, match="another official must approve"):
        adjustment_approve(adjustment=adjustment, user=people.preparer)

    # when another approver approves it
    adjustment = adjustment_approve(adjustment=adjustment, user=people.approver)

    # then it counts, everywhere, and the decisions say who did what
    assert (adjustment.state, adjustment.decided_by) == (State.APPROVED, people.approver)
    assert counted(people) == [Decimal("-1200.00")]
    assert list(payment_review(calculation=approved)["adjustments"]) == [adjustment]
    assert list(Decision.objects.values_list("action", "user__username"))[-2:] == [
        ("adjust", "preparer"), ("approve_adjustment", "approver"),
    ]  # fmt: skip
    with pytest.raises(ActionRefused):
        adjustment_approve(adjustment=adjustment, user=people.second_approver)


def test_a_rejected_adjustment_needs_a_reason_and_never_counts(people, approved, english):
    adjustment = propose(people, approved)
    with pytest.raises(ActionRefused, match="Say why the adjustment is rejected"):
        adjustment_reject(adjustment=adjustment, user=people.approver, reason="")
    adjustment = adjustment_reject(adjustment=adjustment, user=people.approver, reason="金额有误")
    assert (adjustment.state, adjustment.decision_reason) == (State.REJECTED, "金额有误")
    assert counted(people) == []
    assert list(adjustments_awaiting(user=people.second_approver)) == []


def test_only_an_approved_or_paid_payment_is_adjusted_and_with_a_reason(people, english):
    with pytest.raises(ActionRefused, match="this needs it approved / paid"):
        propose(people, people.calculation)
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    with pytest.raises(ActionRefused, match="Say why the payment is adjusted"):
        payment_adjust(
            calculation=people.calculation, user=people.preparer, amount=Decimal(5), reason=""
        )
    with pytest.raises(ActionRefused):
        propose(people, people.calculation, user=people.enterprise)
    with pytest.raises(ActionRefused):
        propose(people, people.calculation, user=people.other_official)


def test_the_database_refuses_an_adjustment_approved_by_its_proposer(people, approved):
    adjustment = propose(people, approved, user=people.approver)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAdjustment.objects.filter(pk=adjustment.pk).update(
            state=State.APPROVED, decided_by=people.approver
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAdjustment.objects.filter(pk=adjustment.pk).update(state=State.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAdjustment.objects.filter(pk=adjustment.pk).update(
            state=State.REJECTED, decided_by=people.second_approver
        )  # a rejection without a reason
