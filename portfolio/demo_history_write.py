"""Writing the demo's history (portfolio/demo_history.py) into the database.

History happened in the past, so its timestamps cannot come from the services, which stamp
``now`` and notify people: submissions, reviews, decisions and payments are written here
directly (in bulk), with the users and times of the history. Evidence files go through the
upload service (``evidence_upload``: the same checks, storage and SHA-256 as a real upload)
while their measurement is still submitted, as an enterprise's would."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts.models import (
    KPI,
    Contract,
    Decision,
    Evidence,
    Measurement,
    PaymentCalculation,
    Period,
)
from contracts.services.evidence import evidence_upload

from .demo_history import (
    PAYMENT_RETURN_REASON,
    RECENT_PERIODS,
    PeriodHistory,
    evidence_files,
    period_history,
)
from .models import User

State = PaymentCalculation.State
# One payment of the demo agency waits to be recomputed after a return.
RETURNED_PAYMENT_CONTRACT = "CS-DATA-01"


def demo_history_write(*, today: datetime.date) -> None:
    tz = timezone.get_current_timezone()
    people = _people()
    for index, contract in enumerate(
        Contract.objects.select_related("government_party", "private_party").order_by("code")
    ):
        preparer, approver = (
            people[(contract.government_party_id, User.Role.PREPARER)],
            people[(contract.government_party_id, User.Role.APPROVER)],
        )
        staff = people[(contract.private_party_id, User.Role.ENTERPRISE)]
        periods = list(contract.periods.exclude(state=Period.State.OPEN).order_by("starts_on"))
        measurements: dict[int, list[Measurement]] = {p.pk: [] for p in periods}
        for m in (
            Measurement.objects.filter(period__in=periods, is_current=True)
            .select_related("kpi")
            # a telemetry KPI has two current figures (the city's and the company's)
            .order_by("kpi__position", "origin")
        ):
            measurements[m.period_id].append(m)
        calculations = {
            c.period_id: c for c in PaymentCalculation.objects.filter(period__in=periods)
        }
        histories = []
        for position, period in enumerate(periods):
            history = period_history(
                code=contract.code,
                label=period.label,
                ends_on=period.ends_on,
                due_on=period.due_on,
                # the company's figures: the city's telemetry values are not returned to
                # it, nor does it attach files to them
                kpis=[
                    (m.kpi.code, m.kpi.rule == KPI.Rule.MANUAL)
                    for m in measurements[period.pk]
                    if not m.kpi.is_telemetry
                ],
                recent=position >= len(periods) - RECENT_PERIODS,
                tz=tz,
            )
            _measurements_write(period, measurements[period.pk], history, staff, preparer)
            histories.append(history)
        states = _payment_states(contract, len(periods), index)
        _payments_write(periods, calculations, histories, states, preparer, approver)


def _people() -> dict[tuple[int, str], User]:
    """(party, role) → the person acting so; the demo users first where there are two."""
    people = {}
    for user in User.objects.exclude(party=None).order_by("date_joined", "pk"):
        people.setdefault((user.party_id, user.role), user)
    return people


def _measurements_write(
    period: Period, current: list[Measurement], history: PeriodHistory, staff: User, reviewer: User
) -> None:
    first_revisions, with_files, computed = [], [], []
    for offset, m in enumerate(current):
        if m.kpi.is_telemetry:
            _telemetry_dated(m, period, history, reviewer, offset, computed)
            continue
        m.source = Measurement.Source.PORTAL
        m.submitted_by, m.submitted_at = staff, history.submitted_at
        m.reviewed_by = reviewer
        m.reviewed_at = history.reviewed_at + datetime.timedelta(minutes=2 * offset)
        returned = history.returned
        if returned and returned.kpi == m.kpi.code:
            # the first submission was returned with a reason; the current one is revision 2
            first_revisions.append(
                Measurement(
                    period_id=m.period_id,
                    kpi=m.kpi,
                    revision=1,
                    is_current=False,
                    value=m.value,
                    points=None if m.points is None else m.kpi.max_points,
                    state=Measurement.State.RETURNED,
                    source=Measurement.Source.PORTAL,
                    submitted_by=staff,
                    submitted_at=history.submitted_at,
                    reviewed_by=reviewer,
                    reviewed_at=returned.returned_at,
                    review_reason=returned.reason,
                )
            )
            m.revision = 2
            m.submitted_at, m.reviewed_at = returned.resubmitted_at, returned.accepted_at
        if m.kpi.code in history.evidence_kpis:
            m.state = Measurement.State.SUBMITTED  # files are attached before the review
            with_files.append(m)
    Measurement.objects.bulk_update(
        current,
        ["source", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at", "revision",
         "state"],
    )  # fmt: skip
    Measurement.objects.bulk_create(first_revisions)
    # the city's CSV summary was stored with its measurement, by the aggregation
    Evidence.objects.bulk_update(computed, ["uploaded_at"])
    uploaded = []
    for m in with_files:
        shown = m.value if m.value is not None else m.points
        for offset, (name, content) in enumerate(
            evidence_files(
                code=period.contract.code,
                label=period.label,
                kpi=m.kpi.code,
                kpi_name=m.kpi.name,
                value=f"{shown.normalize():f}",
                unit=m.kpi.unit,
                manual=m.kpi.rule == KPI.Rule.MANUAL,
            )
        ):
            upload = SimpleUploadedFile(name, content)
            evidence = evidence_upload(measurement=m, upload=upload, user=staff)
            evidence.uploaded_at = m.submitted_at - datetime.timedelta(minutes=30 - offset)
            uploaded.append(evidence)
    Evidence.objects.bulk_update(uploaded, ["uploaded_at"])
    Measurement.objects.filter(pk__in=[m.pk for m in with_files]).update(
        state=Measurement.State.ACCEPTED
    )


def _telemetry_dated(m, period, history, reviewer, offset, computed) -> None:
    """A telemetry KPI's measurements: the city's value, computed the night after the period
    ended (no submitter: the aggregation's) and reviewed with the company's figures unless it
    still waits for review; the company's own figure for it (optional, never reviewed),
    submitted with its other figures."""
    if m.origin == Measurement.Origin.REPORTED:
        m.source, m.submitted_at = Measurement.Source.PORTAL, history.submitted_at
        return
    night = period.ends_on + datetime.timedelta(days=1)
    m.submitted_by = None
    m.submitted_at = datetime.datetime(night.year, night.month, night.day, 1, 30 + offset,
                                       tzinfo=timezone.get_current_timezone())  # fmt: skip
    if m.state == Measurement.State.ACCEPTED:
        m.reviewed_by = reviewer
        m.reviewed_at = history.reviewed_at + datetime.timedelta(minutes=2 * offset)
    for evidence in m.evidence.all():
        evidence.uploaded_at = m.submitted_at
        computed.append(evidence)


def _payment_states(contract: Contract, evaluated: int, index: int) -> list[str]:
    """Oldest first: paid; the last but one approved or prepared (every other contract); the
    last computed and awaiting preparation (provisional), or returned for one contract."""
    states = [State.PAID] * evaluated
    if evaluated >= 2:
        states[-2] = State.PREPARED if index % 2 == 0 else State.APPROVED
    if evaluated >= 1:
        states[-1] = (
            State.RETURNED if contract.code == RETURNED_PAYMENT_CONTRACT else State.COMPUTED
        )
    return states


def _payments_write(periods, calculations, histories, states, preparer, approver) -> None:
    changed, decisions, locked = [], [], []
    for period, history, state in zip(periods, histories, states, strict=True):
        calculation = calculations.get(period.pk)
        if calculation is None:  # could not be computed: stays as the seed left it
            continue
        calculation.state, calculation.computed_at = state, history.computed_at
        changed.append(calculation)

        def decide(action, user, at, reason="", calculation=calculation, period=period):
            decisions.append(
                Decision(
                    period=period,
                    calculation=calculation,
                    action=action,
                    user=user,
                    reason=reason,
                    created_at=at,
                )
            )

        if state == State.RETURNED:
            decide("return", preparer, history.prepared_at, PAYMENT_RETURN_REASON)
            continue
        if state == State.COMPUTED:
            continue
        calculation.prepared_by, calculation.prepared_at = preparer, history.prepared_at
        decide("prepare", preparer, history.prepared_at)
        if state == State.PREPARED:
            continue
        calculation.approved_by, calculation.approved_at = approver, history.approved_at
        decide("approve", approver, history.approved_at)
        period.state = Period.State.LOCKED
        locked.append(period)
        if state == State.PAID:
            calculation.paid_reference = f"GK-{period.label}-{period.contract.code}"
            calculation.paid_on = history.paid_at.date()
            decide("mark_paid", approver, history.paid_at, calculation.paid_reference)
    # From computed straight to the state of the history, in one UPDATE per row: the
    # database's freeze of final payments applies to rows already final, which these are not.
    PaymentCalculation.objects.bulk_update(
        changed,
        ["state", "computed_at", "prepared_by", "prepared_at", "approved_by", "approved_at",
         "paid_reference", "paid_on"],
    )  # fmt: skip
    Decision.objects.bulk_create(decisions)
    Period.objects.bulk_update(locked, ["state"])
