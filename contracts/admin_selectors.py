"""Reads for the officials' pages in the admin: the period review page and the home counts.

Each reads a fixed number of queries whatever the number of KPIs, revisions, files or
periods (pinned in tests/contracts/test_admin_review.py)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from contracts import workflow
from contracts.admin_base import capped_count
from contracts.engine.errors import EngineInputError
from contracts.engine.kpi_points import points_for
from contracts.models import (
    Contract,
    Decision,
    Measurement,
    Objection,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
    RectificationNotice,
    overdue_rectification_q,
)
from contracts.monitoring import agency_alerted_contracts, contracts_monitoring
from contracts.portal.wording import rule_in_words, target_in_words
from contracts.selectors import decimal_text, period_sheet

MState = Measurement.State


@dataclass
class ReviewRow:
    """One KPI of the period as the official reviews it: the latest revision the enterprise
    submitted (drafts are the enterprise's own, not shown) and the earlier ones."""

    kpi: object
    document: dict
    target_words: str
    rule_words: str
    shown: Measurement | None
    history: list[Measurement] = field(default_factory=list)
    points: Decimal | None = None
    actions: list[str] = field(default_factory=list)  # what the official may do to `shown`
    # A telemetry KPI: the company's own figure for it (submitted, not a draft), if any.
    reported: Measurement | None = None
    # Why the last aggregation produced no value (docs/telemetry.md), if it did not.
    telemetry_problem: str = ""

    @property
    def difference(self) -> Decimal | None:
        """The company's figure minus the computed one (telemetry KPIs)."""
        if self.reported is None or self.shown is None or self.shown.value is None:
            return None
        return self.reported.value - self.shown.value

    @property
    def difference_text(self) -> str:
        return "" if self.difference is None else decimal_text(self.difference)

    @property
    def beyond_tolerance(self) -> bool:
        """The company's figure differs from the computed one by more than the tolerance."""
        tolerance = self.kpi.telemetry_tolerance or Decimal(0)
        return self.difference is not None and abs(self.difference) > tolerance

    @property
    def figure(self) -> str:
        if self.shown is None:
            return ""
        number = self.shown.points if self.shown.points is not None else self.shown.value
        return "" if number is None else decimal_text(number)

    @property
    def points_text(self) -> str:
        return "—" if self.points is None else decimal_text(self.points)

    @property
    def reviewable(self) -> bool:
        return "accept" in self.actions


@dataclass
class PeriodReview:
    period: Period
    version: object
    rows: list[ReviewRow]
    calculation: PaymentCalculation | None
    decisions: list[Decision]
    adjustments: list[PaymentAdjustment]

    adjustment_actions: dict[int, list[str]] = field(default_factory=dict)
    objections: list[Objection] = field(default_factory=list)
    objection_actions: dict[int, list[str]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(1 for row in self.rows if row.reviewable)


def _points(document: dict, measurement: Measurement | None) -> Decimal | None:
    """The points the figure gives by the KPI's rule (the engine's, per KPI)."""
    if measurement is None:
        return None
    figure = {"kpi": document["code"]}
    if measurement.points is not None:
        figure["points"] = measurement.points
    elif measurement.value is not None:
        figure["value"] = measurement.value
    try:
        return points_for(document, figure, Decimal(document["max_points"]))
    except EngineInputError:
        return None


def period_review(*, period: Period, user) -> PeriodReview:
    """Everything an official checks in a period, and what the workflow table lets `user` do
    to each item, in about ten queries (`period` with its contract loaded)."""
    sheet = period_sheet(period=period)
    rows = []
    for sheet_row in sheet.rows:
        for revision in sheet_row.revisions:
            # the table reads the contract and the KPI's data source: no query per item
            revision.period, revision.kpi = period, sheet_row.kpi
        seen = [m for m in sheet_row.revisions if m.state != MState.DRAFT]
        shown = seen[-1] if seen else None
        reported = sheet_row.other
        document = sheet_row.document
        rows.append(
            ReviewRow(
                kpi=sheet_row.kpi,
                document=document,
                target_words=target_in_words(document),
                rule_words=rule_in_words(document),
                shown=shown,
                history=list(reversed(seen[:-1])),
                points=_points(document, shown),
                actions=workflow.allowed_actions(shown, user) if shown else [],
                reported=reported if reported and reported.state != MState.DRAFT else None,
                telemetry_problem=period.telemetry_problems.get(sheet_row.kpi.code, "")
                if sheet_row.kpi.is_telemetry
                else "",
            )
        )
    calculation = (
        PaymentCalculation.objects.filter(period=period)
        .select_related("prepared_by", "approved_by", "mechanism_version")
        .first()
    )
    if calculation is not None:
        calculation.period = period
    decisions = list(
        Decision.objects.filter(period=period).select_related("user").order_by("created_at")
    )
    adjustments = (
        list(
            calculation.adjustments.select_related("created_by", "decided_by").order_by(
                "created_at"
            )
        )
        if calculation
        else []
    )
    for adjustment in adjustments:
        adjustment.calculation = calculation
    objections = list(
        Objection.objects.filter(period=period)
        .select_related("lodged_by", "decided_by", "measurement__kpi")
        .prefetch_related("evidence")
        .order_by("-lodged_at", "-pk")
    )
    for objection in objections:
        objection.period = period
    return PeriodReview(
        period,
        sheet.version,
        rows,
        calculation,
        decisions,
        adjustments,
        {a.pk: workflow.allowed_actions(a, user) for a in adjustments},
        objections,
        {o.pk: workflow.allowed_actions(o, user) for o in objections},
    )


# Current items an official returned that the enterprise has not resubmitted yet: still
# returned, or being corrected in a draft (a draft after revision 1 follows a return).
NOT_RESUBMITTED = Q(state=MState.RETURNED) | Q(state=MState.DRAFT, revision__gt=1)


def transition_q(model, action: str, user=None) -> Q:
    """Rows in a state (and meeting the conditions) from which the workflow table allows
    `action`; with `user`, four eyes applied for them."""
    step = workflow.transition(model, action)
    q = Q(state__in=sorted(step.sources))
    if step.not_by and user is not None:
        q &= ~Q(**{step.not_by: user})
    for condition in step.conditions:
        q &= condition.q()
    return q


def official_home_counts(*, user, today: date) -> dict[str, int]:
    """What waits in the official's agency, one COUNT each (up to COUNT_CAP + 1), by the
    workflow table:
    measurements to review, payments to prepare, payments to approve (prepared by someone
    else), adjustments to approve (proposed by someone else), overdue periods and returned
    items the enterprise has not resubmitted yet; rectification answers to verify, overdue
    rectification notices, and the contracts with monitoring alerts (`contracts.monitoring`,
    a fixed number of queries whatever the number of contracts, periods and KPIs)."""
    measurements = Measurement.objects.visible_to(user)
    notices = RectificationNotice.objects.visible_to(user)
    payments = PaymentCalculation.objects.visible_to(user)
    adjustments = PaymentAdjustment.objects.visible_to(user)
    waiting = {
        "to_review": measurements.filter(transition_q(Measurement, "accept")),
        "to_prepare": payments.filter(transition_q(PaymentCalculation, "prepare", user)),
        "to_approve": payments.filter(transition_q(PaymentCalculation, "approve", user)),
        "adjustments": adjustments.filter(transition_q(PaymentAdjustment, "approve", user)),
        "overdue": Period.objects.visible_to(user).filter(
            state=Period.State.OPEN, due_on__lt=today
        ),
        "returned": measurements.filter(NOT_RESUBMITTED, is_current=True),
        "objections": Objection.objects.visible_to(user).filter(state=Objection.State.OPEN),
        "notices_to_verify": notices.filter(transition_q(RectificationNotice, "verify", user)),
        "notices_overdue": notices.filter(overdue_rectification_q(today)),
    }
    counts = {key: capped_count(queryset) for key, queryset in waiting.items()}
    alerted = contracts_with_alerts(user=user, today=today)
    counts["monitoring_alerts"] = None if alerted is None else len(alerted)
    return counts


def contracts_with_alerts(*, user, today: date) -> list[int] | None:
    """The contracts `user` sees that have monitoring alerts (ids, in code order), from the
    cache the morning digest fills (`agency_alerted_contracts`): an official's are their
    agency's, a superuser's or an auditor's every contract's. None: a worker is computing them."""
    ids = Contract.objects.visible_to(user).order_by("code").values_list("pk", flat=True)
    if user.is_superuser or user.role == "auditor":
        agency_id = None
    elif user.role in ("preparer", "approver") and user.party_id:
        agency_id = user.party_id
    else:  # enterprise staff: their few contracts, computed
        ids = list(ids)
        watched = contracts_monitoring(contract_ids=ids, today=today)
        return [pk for pk in ids if watched[pk].alerts]
    return agency_alerted_contracts(agency_id=agency_id, contract_ids=ids, today=today)
