"""What a company may contest in a period, and its objections' progress (the portal's
objections page), in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import (
    KPI,
    Measurement,
    Objection,
    ObjectionEvidence,
    PaymentCalculation,
    Period,
)
from contracts.selectors import decimal_text, period_mechanism_version
from portfolio.money import money_text


@dataclass
class Contestable:
    """A figure with an *object* button: the payment, one of its deduction lines (`item`),
    or a measurement; `closes_on` the window's last day, `open` an objection still open."""

    label: str
    amount: str
    query: str  # the new-objection form's query string
    closes_on: object = None
    estimated: bool = False
    may_object: bool = False
    refusal: str = ""
    open: Objection | None = None


@dataclass
class PeriodObjections:
    period: Period
    calculation: PaymentCalculation | None
    figures: list[Contestable] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)


def _lines(calculation: PaymentCalculation, max_points: dict[str, Decimal]) -> list[tuple]:
    """(item, amount text) for each deduction line: the deductions mechanism's lines, or the
    points a KPI lost under a score mechanism."""
    result = calculation.result or {}
    if result.get("mechanism_type") == "score_coefficient":
        rows = []
        for code, points in (result.get("kpi_points") or {}).items():
            most = max_points.get(code)
            if most is not None and Decimal(points) < most:
                rows.append((code, f"{decimal_text(Decimal(points))} / {decimal_text(most)}"))
        return rows
    return [
        (f"{line['code']} {line['description']}".strip(), money_text(Decimal(line["amount"])))
        for line in result.get("lines") or []
    ]


def period_objections(*, period: Period, user) -> PeriodObjections:
    """The period's contestable figures for `user` (whether the window is still open, and
    why not) and its objections with their files, newest first."""
    calculation = PaymentCalculation.objects.filter(period=period).first()
    objections = list(
        Objection.objects.filter(period=period)
        .select_related("measurement__kpi", "lodged_by", "decided_by")
        .prefetch_related(
            Prefetch("evidence", queryset=ObjectionEvidence.objects.order_by("uploaded_at"))
        )
        .order_by("-lodged_at", "-pk")
    )
    open_by_subject = {
        (o.calculation_id, o.measurement_id): o
        for o in objections
        if o.state == Objection.State.OPEN
    }
    figures: list[Contestable] = []
    refusals: dict = {}  # one check per subject, whatever its number of lines

    def add(subject, label: str, amount: str, query: str) -> None:
        stand_in = Objection(
            state=workflow.NOT_LODGED,
            period=period,
            calculation=subject if isinstance(subject, PaymentCalculation) else None,
            measurement=subject if isinstance(subject, Measurement) else None,
            reason="-",
            shown_at=workflow.figure_shown_at(subject),
        )
        window = workflow.objection_window(subject)
        if window is not None:
            stand_in.window_closes_on = window.day
        key = (type(subject), subject.pk)
        if key not in refusals:
            refusals[key] = workflow.refusal(stand_in, "lodge", user) if window else None
        refusal = refusals[key]
        figures.append(
            Contestable(
                label=label,
                amount=amount,
                query=query,
                closes_on=window.day if window else None,
                estimated=window.estimated if window else False,
                may_object=window is not None and refusal is None,
                refusal=refusal or "",
                open=open_by_subject.get((stand_in.calculation_id, stand_in.measurement_id)),
            )
        )

    if calculation is not None and calculation.state in workflow.CONTESTABLE_PAYMENT_STATES:
        calculation.period = period
        version = period_mechanism_version(period=period)
        max_points = dict(
            KPI.objects.filter(mechanism_version=version).values_list("code", "max_points")
        )
        add(
            calculation,
            _("the payment as a whole (payable)"),
            money_text(calculation.payable),
            urlencode({"calculation": calculation.pk}),
        )
        for item, amount in _lines(calculation, max_points):
            add(calculation, item, amount, urlencode({"calculation": calculation.pk, "item": item}))
    measurements = (
        Measurement.objects.filter(
            period=period,
            is_current=True,
            state__in=sorted(workflow.CONTESTABLE_MEASUREMENT_STATES),
            reviewed_at__isnull=False,
        )
        .select_related("kpi")
        .order_by("kpi__position")
    )
    for measurement in measurements:
        measurement.period = period
        figure = measurement.points if measurement.points is not None else measurement.value
        add(
            measurement,
            f"{measurement.kpi.code} {measurement.kpi.name}",
            f"{decimal_text(figure)} · {measurement.get_state_display()}",
            urlencode({"measurement": measurement.pk}),
        )
    return PeriodObjections(period, calculation, figures, objections)
