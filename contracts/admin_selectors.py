"""Reads for the officials' pages in the admin: the period review page and the home counts.

Each reads a fixed number of queries whatever the number of KPIs, revisions, files or
periods (pinned in tests/contracts/test_admin_review.py)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from contracts.engine.errors import EngineInputError
from contracts.engine.kpi_points import points_for
from contracts.models import (
    Decision,
    Measurement,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
)
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
        """Waiting for the official: the current revision, submitted."""
        return (
            self.shown is not None
            and self.shown.is_current
            and self.shown.state == MState.SUBMITTED
        )


@dataclass
class PeriodReview:
    period: Period
    version: object
    rows: list[ReviewRow]
    calculation: PaymentCalculation | None
    decisions: list[Decision]
    adjustments: list[PaymentAdjustment]

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


def period_review(*, period: Period) -> PeriodReview:
    """Everything an official checks in a period, in about ten queries."""
    sheet = period_sheet(period=period)
    rows = []
    for sheet_row in sheet.rows:
        seen = [m for m in sheet_row.revisions if m.state != MState.DRAFT]
        shown = seen[-1] if seen else None
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
            )
        )
    calculation = (
        PaymentCalculation.objects.filter(period=period)
        .select_related("prepared_by", "approved_by", "mechanism_version")
        .first()
    )
    decisions = list(
        Decision.objects.filter(period=period).select_related("user").order_by("created_at")
    )
    adjustments = (
        list(calculation.adjustments.select_related("created_by").order_by("created_at"))
        if calculation
        else []
    )
    return PeriodReview(period, sheet.version, rows, calculation, decisions, adjustments)


# Current items an official returned that the enterprise has not resubmitted yet: still
# returned, or being corrected in a draft (a draft after revision 1 follows a return).
NOT_RESUBMITTED = Q(state=MState.RETURNED) | Q(state=MState.DRAFT, revision__gt=1)
# Current items waiting for an official's review.
AWAITING_REVIEW = Q(state=MState.SUBMITTED) & ~Q(period__state=Period.State.LOCKED)


def official_home_counts(*, user, today: date) -> dict[str, int]:
    """What waits for the official, one COUNT each: measurements to review, payments to
    prepare, payments to approve (prepared by someone else), overdue periods and returned
    items the enterprise has not resubmitted yet."""
    measurements = Measurement.objects.visible_to(user).filter(is_current=True)
    payments = PaymentCalculation.objects.visible_to(user)
    return {
        "to_review": measurements.filter(AWAITING_REVIEW).count(),
        "to_prepare": payments.filter(state=PaymentCalculation.State.COMPUTED).count(),
        "to_approve": payments.filter(state=PaymentCalculation.State.PREPARED)
        .exclude(prepared_by=user)
        .count(),
        "overdue": Period.objects.visible_to(user)
        .filter(state=Period.State.OPEN, due_on__lt=today)
        .count(),
        "returned": measurements.filter(NOT_RESUBMITTED).count(),
    }
