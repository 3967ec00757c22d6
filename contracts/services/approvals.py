"""The payment workflow officials follow: computed → prepared → approved → paid, or returned
to be recomputed; adjustments proposed and approved by two officials; reopening a locked
period. Whether a step may happen is the workflow table's (`contracts/workflow.py`), checked
here on the row locked for the change, so that two officials acting at once cannot both win."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import Decision, PaymentAdjustment, PaymentCalculation, Period
from contracts.workflow import ActionRefused
from portfolio.models import User

from .notifications import enqueue_adjustment_proposed, enqueue_payment_prepared

__all__ = ["ActionRefused"]  # raised by every service; defined with the table


def _locked(calculation: PaymentCalculation) -> PaymentCalculation:
    return (
        PaymentCalculation.objects.select_for_update()
        .select_related("period__contract")
        .get(pk=calculation.pk)
    )


def _decide(
    calculation: PaymentCalculation, action: str, user: User, reason: str = "", **changes
) -> PaymentCalculation:
    """Check `action` on the locked payment, move it to the table's state with `changes`,
    and record the decision. Call inside a transaction."""
    calculation = _locked(calculation)
    target = workflow.transition_check(calculation, action, user, reason=reason)
    changes = {"state": target, **changes} if target else changes
    for name, value in changes.items():
        setattr(calculation, name, value)
    calculation.save(update_fields=list(changes))
    Decision.objects.create(
        period=calculation.period, calculation=calculation, action=action, user=user,
        reason=reason,
    )  # fmt: skip
    return calculation


def payment_prepare(*, calculation: PaymentCalculation, user: User) -> PaymentCalculation:
    """A preparer has checked the calculation and passes it on for approval."""
    with transaction.atomic():
        calculation = _decide(
            calculation, "prepare", user, prepared_by=user, prepared_at=timezone.now()
        )
        enqueue_payment_prepared(calculation_id=calculation.pk)
    return calculation


def payment_approve(*, calculation: PaymentCalculation, user: User) -> PaymentCalculation:
    """A different official, an approver, approves: the amounts are final and the period is
    locked."""
    with transaction.atomic():
        calculation = _decide(
            calculation, "approve", user, approved_by=user, approved_at=timezone.now()
        )
        Period.objects.filter(pk=calculation.period_id).update(state=Period.State.LOCKED)
    return calculation


def payment_return(
    *, calculation: PaymentCalculation, user: User, reason: str
) -> PaymentCalculation:
    """Send a computed or prepared payment back, to be recomputed once the inputs are fixed:
    its preparation is cleared (the decisions keep who prepared it and why it came back)."""
    with transaction.atomic():
        return _decide(
            calculation, "return", user, reason=reason, prepared_by=None, prepared_at=None
        )


def payment_mark_paid(
    *, calculation: PaymentCalculation, user: User, reference: str, paid_on: date
) -> PaymentCalculation:
    if not reference.strip():
        raise ActionRefused(_("Give the payment reference."))
    with transaction.atomic():
        return _decide(
            calculation, "mark_paid", user, reason=reference, paid_reference=reference,
            paid_on=paid_on,
        )  # fmt: skip


def payment_adjust(
    *, calculation: PaymentCalculation, user: User, amount: Decimal, reason: str
) -> PaymentAdjustment:
    """Propose a correction to an approved or paid payment: a new record, which counts once
    another official approves it (`adjustment_approve`); the payment stays as approved."""
    if amount == 0:
        raise ActionRefused(_("An adjustment needs an amount other than zero."))
    with transaction.atomic():
        calculation = _locked(calculation)
        workflow.transition_check(calculation, "adjust", user, reason=reason)
        adjustment = PaymentAdjustment.objects.create(
            calculation=calculation, amount=amount, reason=reason, created_by=user
        )
        Decision.objects.create(
            period=calculation.period,
            calculation=calculation,
            action=Decision.Action.ADJUST,
            user=user,
            reason=f"{amount:+} {reason}",
        )
        enqueue_adjustment_proposed(adjustment_id=adjustment.pk)
    return adjustment


def _adjustment_decide(
    adjustment: PaymentAdjustment, action: str, user: User, reason: str = ""
) -> PaymentAdjustment:
    with transaction.atomic():
        adjustment = (
            PaymentAdjustment.objects.select_for_update()
            .select_related("calculation__period__contract")
            .get(pk=adjustment.pk)
        )
        adjustment.state = workflow.transition_check(adjustment, action, user, reason=reason)
        adjustment.decided_by, adjustment.decided_at = user, timezone.now()
        adjustment.decision_reason = reason
        adjustment.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        Decision.objects.create(
            period=adjustment.calculation.period,
            calculation=adjustment.calculation,
            action=f"{action}_adjustment",
            user=user,
            reason=f"{adjustment.amount:+} {reason}".strip(),
        )
    return adjustment


def adjustment_approve(*, adjustment: PaymentAdjustment, user: User) -> PaymentAdjustment:
    """An approver other than the proposer approves the adjustment: from now on it counts on
    the payment, in reports and in OCDS."""
    return _adjustment_decide(adjustment, "approve", user)


def adjustment_reject(
    *, adjustment: PaymentAdjustment, user: User, reason: str
) -> PaymentAdjustment:
    """An approver rejects a proposed adjustment, with a reason; it never counts."""
    return _adjustment_decide(adjustment, "reject", user, reason)


def period_reopen(*, period: Period, user: User, reason: str) -> Period:
    """An approver reopens a locked period (its approved payment stays as it is: corrections
    are adjustments), with a reason that is recorded."""
    with transaction.atomic():
        period = Period.objects.select_for_update().select_related("contract").get(pk=period.pk)
        period.state = workflow.transition_check(period, "reopen", user, reason=reason)
        period.save(update_fields=["state"])
        Decision.objects.create(period=period, action="reopen", user=user, reason=reason)
    return period
