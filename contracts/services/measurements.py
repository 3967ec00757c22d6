"""Enterprises submit KPI measurements; officials accept them or return them for revision.

A resubmission after a return is a new revision: the returned one keeps its submitter, its
evidence and the official's decision."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import KPI, Measurement, Period
from contracts.selectors import decimal_text, period_mechanism_version
from contracts.workflow import ActionRefused
from portfolio.models import User

from .notifications import enqueue_measurement_returned

State = Measurement.State


def _locked(measurement: Measurement) -> Measurement:
    return (
        Measurement.objects.select_for_update()
        .select_related("period__contract", "kpi")
        .get(pk=measurement.pk)
    )


def measurement_accept(*, measurement: Measurement, user: User) -> Measurement:
    with transaction.atomic():
        measurement = _locked(measurement)
        measurement.state = workflow.transition_check(measurement, "accept", user)
        measurement.reviewed_by, measurement.reviewed_at = user, timezone.now()
        measurement.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return measurement


def measurement_return(*, measurement: Measurement, user: User, reason: str) -> Measurement:
    with transaction.atomic():
        measurement = _locked(measurement)
        measurement.state = workflow.transition_check(measurement, "return", user, reason=reason)
        measurement.reviewed_by = user
        measurement.reviewed_at, measurement.review_reason = timezone.now(), reason
        measurement.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
        enqueue_measurement_returned(measurement_id=measurement.pk)
    return measurement


def _enterprise_period(period: Period, user: User, action: str) -> Period:
    """The period, locked, once the workflow lets the user do `action` on it (the period's
    `save_draft` or `submit`: its enterprise, not locked; submitting once it has ended)."""
    period = Period.objects.select_for_update().select_related("contract").get(pk=period.pk)
    workflow.transition_check(period, action, user)
    return period


def figure_editable(period: Period, current: Measurement | None) -> bool:
    """Whether the enterprise may change a KPI's figure now: an open period takes new
    figures; once it is submitted, only returned items (and the drafts that correct them)
    change — the measurement table's `submit` and `revise`. A submitted or accepted figure
    never does, nor anything in a locked period."""
    if period.state == Period.State.LOCKED:
        return False
    if current is not None:
        changes = (
            workflow.transition(Measurement, "submit"),
            workflow.transition(Measurement, "revise"),
        )
        return any(current.state in step.sources for step in changes)
    return period.state == Period.State.OPEN


def _require_editable(period: Period, current: Measurement | None) -> None:
    if not figure_editable(period, current):
        if period.state != Period.State.OPEN:
            raise ActionRefused(_("The period is not open for submission."))
        raise ActionRefused(_("This KPI is already submitted."))


def _check_figure(kpi: KPI, value: Decimal | None, points: Decimal | None) -> None:
    if kpi.rule == KPI.Rule.MANUAL:
        if points is None or value is not None:
            raise ActionRefused(_("This KPI takes points, not a measured value."))
        if not 0 <= points <= kpi.max_points:
            raise ActionRefused(
                _("Points must be between 0 and %(max)s.") % {"max": decimal_text(kpi.max_points)}
            )
    elif value is None or points is not None:
        raise ActionRefused(_("This KPI takes a measured value, not points."))


def _current(period: Period, kpi: KPI) -> Measurement | None:
    """The company's current figure for the KPI (for a telemetry KPI: its own, optional one)."""
    return (
        period.measurements.select_for_update()
        .filter(kpi=kpi, is_current=True, origin=Measurement.Origin.REPORTED)
        .first()
    )


def _next_revision(period: Period, kpi: KPI, current: Measurement | None, **fields) -> Measurement:
    """A new current revision after a returned one (whose row stays as it was), or the first."""
    if current:
        current.is_current = False
        current.save(update_fields=["is_current"])
    revision = current.revision + 1 if current else 1
    return Measurement.objects.create(
        period=period, kpi=kpi, revision=revision, origin=Measurement.Origin.REPORTED, **fields
    )


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
        period = _enterprise_period(period, user, "submit")
        _check_figure(kpi, value, points)
        current = _current(period, kpi)
        _require_editable(period, current)
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
            measurement = current
        else:
            measurement = _next_revision(period, kpi, current, **fields)
        _mark_submitted_once_complete(period, fields["submitted_at"])
    return measurement


def _mark_submitted_once_complete(period: Period, now) -> None:
    """An open period whose every KPI now has a figure submitted one by one (the API) is
    submitted, as `period_submit` would have made it: stamped when complete, late or not."""
    if period.state != Period.State.OPEN:
        return
    # Telemetry KPIs are the city's to compute: the company's figures for them are optional.
    kpis = KPI.objects.filter(
        mechanism_version=period_mechanism_version(period=period),
        data_source=KPI.DataSource.REPORTED,
    )
    submitted = Measurement.objects.filter(
        period=period,
        is_current=True,
        origin=Measurement.Origin.REPORTED,
        state__in=[State.SUBMITTED, State.ACCEPTED],
    )
    pending = kpis.exclude(pk__in=submitted.values("kpi_id"))
    if kpis.exists() and not pending.exists():
        period.state, period.submitted_at = Period.State.SUBMITTED, now
        period.save(update_fields=["state", "submitted_at"])


def measurement_save_draft(
    *,
    period: Period,
    kpi: KPI,
    user: User,
    source: str,
    value: Decimal | None = None,
    points: Decimal | None = None,
) -> Measurement:
    """The enterprise's figure for one KPI, kept as a draft (officials do not review it, the
    engine does not count it) until `period_submit`. Updates the KPI's draft, or starts one:
    the first revision in an open period, the next one after a return."""
    with transaction.atomic():
        period = _enterprise_period(period, user, "save_draft")
        _check_figure(kpi, value, points)
        current = _current(period, kpi)
        _require_editable(period, current)
        if current and current.state == State.DRAFT:
            current.value, current.points, current.source = value, points, source
            current.save(update_fields=["value", "points", "source"])
            return current
        return _next_revision(
            period, kpi, current, value=value, points=points, state=State.DRAFT, source=source
        )


def period_submit(*, period: Period, user: User) -> Period:
    """Submit every draft of the period at once, for review, once the period has ended (the
    workflow's period `submit`): the period needs a figure for each KPI of its mechanism
    version and no returned item left uncorrected. An open period becomes submitted, stamped
    `submitted_at` (late after its due date; accepted all the same); after that only returned
    items can change."""
    with transaction.atomic():
        period = _enterprise_period(period, user, "submit")
        kpis = list(KPI.objects.filter(mechanism_version=period_mechanism_version(period=period)))
        if not kpis:
            raise ActionRefused(_("This period has no KPIs to submit."))
        current = {
            m.kpi_id: m
            for m in period.measurements.select_for_update()
            .filter(is_current=True, origin=Measurement.Origin.REPORTED)
            .order_by("pk")
        }
        # A telemetry KPI's figure from the company is optional (the city computes it).
        missing = [k.code for k in kpis if k.pk not in current and not k.is_telemetry]
        if missing:
            raise ActionRefused(
                _("Values are missing for %(kpis)s.") % {"kpis": ", ".join(missing)}
            )
        returned = [
            k.code for k in kpis if k.pk in current and current[k.pk].state == State.RETURNED
        ]
        if returned:
            raise ActionRefused(
                _("Correct the returned items first: %(kpis)s.") % {"kpis": ", ".join(returned)}
            )
        drafts = [m for m in current.values() if m.state == State.DRAFT]
        if not drafts and period.state != Period.State.OPEN:
            raise ActionRefused(_("Nothing to submit: every item is submitted already."))
        now = timezone.now()
        for draft in drafts:
            draft.state, draft.submitted_by, draft.submitted_at = State.SUBMITTED, user, now
            draft.save(update_fields=["state", "submitted_by", "submitted_at"])
        if period.state == Period.State.OPEN:
            period.state, period.submitted_at = Period.State.SUBMITTED, now
            period.save(update_fields=["state", "submitted_at"])
    return period
