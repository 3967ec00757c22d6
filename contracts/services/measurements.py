"""Enterprises submit KPI measurements; officials accept them or return them for revision.

A resubmission after a return is a new revision: the returned one keeps its submitter, its
evidence and the official's decision."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import KPI, Measurement, Period
from portfolio.models import User

from .approvals import ActionRefused, require_official
from .notifications import notify_measurement_returned

State = Measurement.State


def _locked(measurement: Measurement) -> Measurement:
    return (
        Measurement.objects.select_for_update()
        .select_related("period__contract")
        .get(pk=measurement.pk)
    )


def _require_reviewable(measurement: Measurement) -> None:
    if measurement.period.state == Period.State.LOCKED:
        raise ActionRefused(_("The period is locked: its payment is approved."))
    if not measurement.is_current or measurement.state != State.SUBMITTED:
        raise ActionRefused(_("Only the current, submitted revision can be reviewed."))


def measurement_accept(*, measurement: Measurement, user: User) -> Measurement:
    with transaction.atomic():
        measurement = _locked(measurement)
        require_official(user, measurement.period, User.Role.PREPARER, User.Role.APPROVER)
        _require_reviewable(measurement)
        measurement.state, measurement.reviewed_by = State.ACCEPTED, user
        measurement.reviewed_at = timezone.now()
        measurement.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return measurement


def measurement_return(*, measurement: Measurement, user: User, reason: str) -> Measurement:
    if not reason.strip():
        raise ActionRefused(_("Say why the measurement is returned."))
    with transaction.atomic():
        measurement = _locked(measurement)
        require_official(user, measurement.period, User.Role.PREPARER, User.Role.APPROVER)
        _require_reviewable(measurement)
        measurement.state, measurement.reviewed_by = State.RETURNED, user
        measurement.reviewed_at, measurement.review_reason = timezone.now(), reason
        measurement.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
        transaction.on_commit(lambda: notify_measurement_returned(measurement_id=measurement.pk))
    return measurement


def measurement_submit(
    *,
    period: Period,
    kpi: KPI,
    user: User,
    source: str,
    value: Decimal | None = None,
    points: Decimal | None = None,
) -> Measurement:
    """The enterprise's figure for one KPI: replaces its own draft or resubmits a returned
    revision as a new one; an accepted or pending one cannot be changed."""
    with transaction.atomic():
        period = Period.objects.select_for_update().select_related("contract").get(pk=period.pk)
        if user.role != User.Role.ENTERPRISE or period.contract.private_party_id != user.party_id:
            raise ActionRefused(_("Only the contract's enterprise submits its measurements."))
        if period.state == Period.State.LOCKED:
            raise ActionRefused(_("The period is locked: its payment is approved."))
        if (
            period.state != Period.State.OPEN
            and not period.measurements.filter(
                kpi=kpi, is_current=True, state=State.RETURNED
            ).exists()
        ):
            raise ActionRefused(_("The period is not open for submission."))
        current = period.measurements.filter(kpi=kpi, is_current=True).first()
        fields = {
            "value": value,
            "points": points,
            "state": State.SUBMITTED,
            "source": source,
            "submitted_by": user,
            "submitted_at": timezone.now(),
        }
        if current and current.state == State.DRAFT:
            for name, new in fields.items():
                setattr(current, name, new)
            current.save()
            return current
        if current and current.state != State.RETURNED:
            raise ActionRefused(_("This KPI is already submitted."))
        if current:
            current.is_current = False
            current.save(update_fields=["is_current"])
        return Measurement.objects.create(
            period=period, kpi=kpi, revision=current.revision + 1 if current else 1, **fields
        )
