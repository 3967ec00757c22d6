"""The payment workflow officials follow: computed → prepared → approved → paid, or returned
to be recomputed; and reopening a locked period. Each step is checked here (role, agency,
state, four eyes), under a row lock so that two officials acting at once cannot both win."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Decision, PaymentAdjustment, PaymentCalculation, Period
from portfolio.models import User

from .notifications import notify_payment_prepared

State = PaymentCalculation.State


class ActionRefused(Exception):
    """The action is not allowed now, for the reason given (shown to the official)."""


def require_official(user: User, calculation_or_period, *roles: str) -> None:
    period = getattr(calculation_or_period, "period", calculation_or_period)
    if user.role not in roles:
        raise ActionRefused(_("Your role may not do this."))
    if period.contract.government_party_id != user.party_id:
        raise ActionRefused(_("This contract belongs to another agency."))


def _locked(calculation: PaymentCalculation) -> PaymentCalculation:
    return (
        PaymentCalculation.objects.select_for_update()
        .select_related("period__contract")
        .get(pk=calculation.pk)
    )


def _require_state(calculation: PaymentCalculation, *states: str) -> None:
    if calculation.state not in states:
        raise ActionRefused(
            _("The payment is %(state)s; this needs it %(needed)s.")
            % {
                "state": calculation.get_state_display(),
                "needed": " / ".join(str(State(s).label) for s in states),
            }
        )


def payment_prepare(*, calculation: PaymentCalculation, user: User) -> PaymentCalculation:
    """A preparer has checked the calculation and passes it on for approval."""
    with transaction.atomic():
        calculation = _locked(calculation)
        require_official(user, calculation, User.Role.PREPARER)
        _require_state(calculation, State.COMPUTED)
        calculation.state, calculation.prepared_by = State.PREPARED, user
        calculation.prepared_at = timezone.now()
        calculation.save(update_fields=["state", "prepared_by", "prepared_at"])
        Decision.objects.create(
            period=calculation.period, calculation=calculation, action="prepare", user=user
        )
        transaction.on_commit(lambda: notify_payment_prepared(calculation_id=calculation.pk))
    return calculation


def payment_approve(*, calculation: PaymentCalculation, user: User) -> PaymentCalculation:
    """A different official, an approver, approves: the amounts are final and the period is
    locked."""
    with transaction.atomic():
        calculation = _locked(calculation)
        require_official(user, calculation, User.Role.APPROVER)
        _require_state(calculation, State.PREPARED)
        if calculation.prepared_by_id == user.pk:
            raise ActionRefused(_("You prepared this payment: another official must approve it."))
        calculation.state, calculation.approved_by = State.APPROVED, user
        calculation.approved_at = timezone.now()
        calculation.save(update_fields=["state", "approved_by", "approved_at"])
        Period.objects.filter(pk=calculation.period_id).update(state=Period.State.LOCKED)
        Decision.objects.create(
            period=calculation.period, calculation=calculation, action="approve", user=user
        )
    return calculation


def payment_return(
    *, calculation: PaymentCalculation, user: User, reason: str
) -> PaymentCalculation:
    """Send a computed or prepared payment back, to be recomputed once the inputs are fixed."""
    if not reason.strip():
        raise ActionRefused(_("Say why the payment is returned."))
    with transaction.atomic():
        calculation = _locked(calculation)
        require_official(user, calculation, User.Role.PREPARER, User.Role.APPROVER)
        _require_state(calculation, State.COMPUTED, State.PREPARED)
        calculation.state = State.RETURNED
        calculation.prepared_by, calculation.prepared_at = None, None
        calculation.save(update_fields=["state", "prepared_by", "prepared_at"])
        Decision.objects.create(
            period=calculation.period,
            calculation=calculation,
            action="return",
            user=user,
            reason=reason,
        )
    return calculation


def payment_mark_paid(
    *, calculation: PaymentCalculation, user: User, reference: str, paid_on: date
) -> PaymentCalculation:
    if not reference.strip():
        raise ActionRefused(_("Give the payment reference."))
    longest = PaymentCalculation._meta.get_field("paid_reference").max_length
    if len(reference) > longest:  # SQLite would store it whole
        raise ActionRefused(
            _("The payment reference may have at most %(limit)d characters.") % {"limit": longest}
        )
    with transaction.atomic():
        calculation = _locked(calculation)
        require_official(user, calculation, User.Role.PREPARER, User.Role.APPROVER)
        _require_state(calculation, State.APPROVED)
        calculation.state, calculation.paid_reference, calculation.paid_on = (
            State.PAID,
            reference,
            paid_on,
        )
        calculation.save(update_fields=["state", "paid_reference", "paid_on"])
        Decision.objects.create(
            period=calculation.period,
            calculation=calculation,
            action="mark_paid",
            user=user,
            reason=reference,
        )
    return calculation


def payment_adjust(
    *, calculation: PaymentCalculation, user: User, amount: Decimal, reason: str
) -> PaymentAdjustment:
    """Correct an approved or paid payment with a new record; the payment stays as approved."""
    if not reason.strip():
        raise ActionRefused(_("Say why the payment is adjusted."))
    if amount == 0:
        raise ActionRefused(_("An adjustment needs an amount other than zero."))
    with transaction.atomic():
        calculation = _locked(calculation)
        require_official(user, calculation, User.Role.APPROVER)
        _require_state(calculation, State.APPROVED, State.PAID)
        adjustment = PaymentAdjustment.objects.create(
            calculation=calculation, amount=amount, reason=reason, created_by=user
        )
        Decision.objects.create(
            period=calculation.period,
            calculation=calculation,
            action="adjust",
            user=user,
            reason=f"{amount:+} {reason}",
        )
    return adjustment


def period_reopen(*, period: Period, user: User, reason: str) -> Period:
    """An approver reopens a locked period (its approved payment stays as it is: corrections
    are adjustments), with a reason that is recorded."""
    if not reason.strip():
        raise ActionRefused(_("Say why the period is reopened."))
    with transaction.atomic():
        period = Period.objects.select_for_update().select_related("contract").get(pk=period.pk)
        require_official(user, period, User.Role.APPROVER)
        if period.state != Period.State.LOCKED:
            raise ActionRefused(_("Only a locked period can be reopened."))
        period.state = Period.State.SUBMITTED
        period.save(update_fields=["state"])
        Decision.objects.create(period=period, action="reopen", user=user, reason=reason)
    return period
