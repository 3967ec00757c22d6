"""Reads on contracts, set-based: one query per kind of row whatever the number of periods.

The documents built here are the bundle's shapes (`ppp-bundle/1`) and, the same, the payment
engine's inputs, so what is exported is exactly what a calculation reads.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext_lazy as _

from . import engine, workflow
from .models import (
    COUNTS,
    KPI,
    LATE,
    AvailabilityFailure,
    Contract,
    Decision,
    DeductionEvent,
    Evidence,
    Measurement,
    MechanismVersion,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
)


def decimal_text(value: Decimal) -> str:
    """A stored decimal as the shortest exact string: 99.500000 → "99.5", 100.000000 → "100".

    String work, not Decimal.normalize(): this runs for every KPI and measurement read."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


KPI_FIELDS = [
    "mechanism_version_id", "code", "name", "dimension", "unit", "direction", "target", "floor",
    "max_points", "rule", "step", "points_per_step", "partial_step", "data_source",
    "telemetry_stream", "telemetry_metric", "telemetry_p", "telemetry_condition",
    "telemetry_min_sample", "telemetry_tolerance", "telemetry_places",
]  # fmt: skip


def kpi_document(row: dict) -> dict:
    """A KPI (a `KPI_FIELDS` values() row) as the bundle writes it: only the fields its rule
    uses, decimals as the shortest exact strings."""
    doc = {"code": row["code"], "name": row["name"], "dimension": row["dimension"]}
    doc["unit"] = row["unit"]
    if row["direction"]:
        doc["direction"] = row["direction"]
    for name in ("target", "floor"):
        if row[name] is not None:
            doc[name] = decimal_text(row[name])
    doc["max_points"] = decimal_text(row["max_points"])
    doc["rule"] = row["rule"]
    for name in ("step", "points_per_step"):
        if row[name] is not None:
            doc[name] = decimal_text(row[name])
    if row["partial_step"]:
        doc["partial_step"] = row["partial_step"]
    if row["data_source"] == KPI.DataSource.TELEMETRY:
        doc["telemetry"] = telemetry_document(row)
    return doc


def telemetry_document(row: dict) -> dict:
    """A telemetry KPI's `telemetry` object (docs/telemetry.md): the keys it sets."""
    doc = {"stream": row["telemetry_stream"], "metric": row["telemetry_metric"]}
    if row["telemetry_p"] is not None:
        doc["p"] = decimal_text(row["telemetry_p"])
    if row["telemetry_condition"]:
        doc["condition"] = row["telemetry_condition"]
    if row["telemetry_min_sample"] is not None:
        doc["min_sample"] = row["telemetry_min_sample"]
    if row["telemetry_tolerance"] is not None:
        doc["tolerance"] = decimal_text(row["telemetry_tolerance"])
    if row["telemetry_places"] is not None:
        doc["places"] = row["telemetry_places"]
    return doc


def kpi_documents_by_version(*, version_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Mechanism version id → its KPI documents in contract order."""
    docs = defaultdict(list)
    rows = KPI.objects.filter(mechanism_version_id__in=list(version_ids)).order_by("position")
    for row in rows.values(*KPI_FIELDS):
        docs[row["mechanism_version_id"]].append(kpi_document(row))
    return docs


# What the engine reads of a KPI (contracts.engine.kpi_points).
KPI_TERMS = [
    "code", "rule", "direction", "target", "floor", "max_points", "step", "points_per_step",
    "partial_step",
]  # fmt: skip


def kpi_terms_by_version(*, version_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Mechanism version id → its KPIs as the engine reads them, in contract order.

    Straight from the rows, decimals as `Decimal` (the engine takes them as they are, no
    string in between); a null or blank setting (None, "") reads as absent to the engine."""
    terms = defaultdict(list)
    rows = (
        KPI.objects.filter(mechanism_version_id__in=list(version_ids))
        .order_by("mechanism_version_id", "position")
        .values_list("mechanism_version_id", *KPI_TERMS)
    )
    for row in rows:
        terms[row[0]].append(dict(zip(KPI_TERMS, row[1:], strict=True)))
    return terms


@dataclass(frozen=True)
class MechanismTerms:
    """A mechanism version as the engine reads it."""

    version: MechanismVersion
    mechanism: dict
    kpis: list[dict]


def mechanism_terms_by_contract(*, contract_ids: Iterable[int]) -> dict[int, list[MechanismTerms]]:
    """Every mechanism version of the contracts with its KPI terms, oldest first."""
    versions = list(
        MechanismVersion.objects.filter(contract_id__in=list(contract_ids)).order_by(
            "contract_id", "effective_from"
        )
    )
    kpis = kpi_terms_by_version(version_ids=[v.pk for v in versions])
    terms = defaultdict(list)
    for version in versions:
        terms[version.contract_id].append(
            MechanismTerms(version, dict(version.definition), kpis[version.pk])
        )
    return terms


def version_in_force(versions: Sequence[MechanismVersion], day: date) -> MechanismVersion:
    """The one rule for which mechanism applies on `day`: of a contract's versions, oldest
    first, the latest that took effect by then (else the first: a period before any)."""
    in_force = [v for v in versions if v.effective_from <= day]
    return in_force[-1] if in_force else versions[0]


def terms_in_force(terms: list[MechanismTerms], day: date) -> MechanismTerms:
    """The terms of the version in force on `day` (`version_in_force`)."""
    version = version_in_force([t.version for t in terms], day)
    return next(t for t in terms if t.version is version)


def period_mechanism_version(*, period: Period) -> MechanismVersion | None:
    """The version in force for the period (`version_in_force`); None without any."""
    versions = list(
        MechanismVersion.objects.filter(contract_id=period.contract_id).order_by("effective_from")
    )
    return version_in_force(versions, period.starts_on) if versions else None


def evaluation_documents(*, periods: Iterable[Period], accepted_only: bool) -> dict[int, dict]:
    """Period id → the period's inputs as the bundle's `evaluations[]` item: its current
    measurements in KPI order (only accepted ones if `accepted_only`) or its deductions inputs.

    A period is anything with its `pk`, `label` and `performance_points` (a model instance or
    a named values row)."""
    periods = list(periods)
    docs = {p.pk: {"period": p.label} for p in periods}
    period_ids = list(docs)
    measurements = Measurement.objects.filter(COUNTS, period_id__in=period_ids, is_current=True)
    if accepted_only:
        measurements = measurements.filter(state=Measurement.State.ACCEPTED)
    rows = measurements.order_by("period_id", "kpi__position").values_list(
        "period_id", "kpi__code", "value", "points"
    )
    for period_id, code, value, points in rows:
        docs[period_id].setdefault("measurements", []).append(
            {"kpi": code, "points": decimal_text(points)}
            if points is not None
            else {"kpi": code, "value": decimal_text(value)}
        )
    failures = AvailabilityFailure.objects.filter(period_id__in=period_ids).order_by(
        "period_id", "position"
    )
    for f in failures:
        docs[f.period_id].setdefault("availability_failures", []).append(
            {
                "area": f.area,
                "weighting": f.weighting,
                "periods": f.periods,
                "used": f.used,
                "failures_in_period": f.failures_in_period,
            }
        )
    for period in periods:
        if period.performance_points is not None:
            docs[period.pk]["performance_points"] = period.performance_points
    events = DeductionEvent.objects.filter(period_id__in=period_ids).order_by(
        "period_id", "position"
    )
    for e in events:
        event = {"code": e.code, "quantity": decimal_text(e.quantity)}
        if e.note:
            event["note"] = e.note
        docs[e.period_id].setdefault("events", []).append(event)
    return docs


# The engine's line kinds (contracts/engine/results.py: Line.kind) as people read them.
LINE_KINDS = {
    "component": _("payment component"),
    "availability": _("availability deduction"),
    "performance": _("performance deduction"),
    "event": _("event deduction"),
    "cap": _("deduction cap"),
}


def line_kind_label(kind: str) -> str:
    return str(LINE_KINDS.get(kind, kind))


def line_description(line: dict) -> str:
    """A result line's description in the reader's language. The engine words the lines it
    makes up itself in English (they are stored that way in the result); lines named after a
    contract's components or deduction events keep the contract's own name."""
    kind, inputs = line["kind"], line.get("inputs", {})
    if kind == "availability":
        return _("Availability failure: %(area)s") % {"area": line["code"]}
    if kind == "performance" and "above" in inputs:
        return _("Performance points %(above)s–%(up_to)s × %(rate)s × %(multiplier)s") % inputs
    if kind == "cap" and "cap_fraction" in inputs:
        return _("Deductions capped at %(cap_fraction)s × the base amount") % inputs
    return line["description"]


def payment_review(*, calculation) -> dict:
    """What an official sees before deciding on a payment: one row per KPI (target, actual,
    points, evidence) or per deduction line, the amounts, and the decisions so far."""
    result, evaluation = calculation.result, calculation.inputs["evaluation"]
    actual = {m["kpi"]: m.get("value", m.get("points")) for m in evaluation.get("measurements", [])}
    kpis = kpi_documents_by_version(version_ids=[calculation.mechanism_version_id])[
        calculation.mechanism_version_id
    ]
    evidence = defaultdict(list)
    for item in Evidence.objects.filter(
        measurement__period_id=calculation.period_id,
        measurement__is_current=True,
        measurement__origin=F("measurement__kpi__data_source"),
    ).select_related("measurement__kpi"):
        evidence[item.measurement.kpi.code].append(item)
    rows = [
        {
            **kpi,
            "rule_label": KPI.Rule(kpi["rule"]).label,
            "actual": actual.get(kpi["code"]),
            "points": result.get("kpi_points", {}).get(kpi["code"]),
            "evidence": evidence[kpi["code"]],
        }
        for kpi in kpis
    ]
    lines = [
        {
            **line,
            "kind_label": line_kind_label(line["kind"]),
            "description_text": line_description(line),
        }
        for line in result.get("lines", [])
    ]
    return {
        "kpi_rows": rows,
        "lines": [line for line in lines if line["kind"] != "component"],
        "components": [line for line in lines if line["kind"] == "component"],
        "decisions": Decision.objects.filter(period_id=calculation.period_id).select_related(
            "user"
        ),
        # What counts on the payment (approved), and what still waits for a second official.
        "adjustments": calculation.adjustments.filter(
            state=PaymentAdjustment.State.APPROVED
        ).select_related("created_by", "decided_by"),
        "adjustment_proposals": calculation.adjustments.filter(
            state=PaymentAdjustment.State.PROPOSED
        ).select_related("created_by"),
    }


def payments_awaiting(*, user, queryset=None):
    """The payments waiting for this official, as the workflow table's queue transitions say
    (today: preparers the computed ones, approvers those someone else prepared)."""
    queryset = queryset if queryset is not None else PaymentCalculation.objects.all()
    return workflow.awaiting(queryset, user)


def measurements_awaiting(*, user, queryset=None):
    """The measurements waiting for this official's review (the table's `accept`)."""
    queryset = queryset if queryset is not None else Measurement.objects.all()
    return workflow.awaiting(queryset, user)


def adjustments_awaiting(*, user, queryset=None):
    """The adjustments waiting for this approver (proposed by someone else)."""
    queryset = queryset if queryset is not None else PaymentAdjustment.objects.all()
    return workflow.awaiting(queryset, user)


def periods_submitted_late(*, queryset=None):
    """Periods whose enterprise submitted after the due date (`Period.is_late`)."""
    queryset = queryset if queryset is not None else Period.objects.all()
    return queryset.filter(LATE)


# --- The enterprise portal -------------------------------------------------------------


@dataclass
class ContractOverview:
    contract: Contract
    # Periods waiting for the enterprise (open, or with returned items), oldest first, each
    # annotated with `returned`: how many of its current items an official returned.
    periods: list[Period]
    last_calculation: PaymentCalculation | None


def _with_returned_count(periods):
    returned = Q(measurements__is_current=True, measurements__state=Measurement.State.RETURNED)
    return periods.annotate(returned=Count("measurements", filter=returned))


def contracts_overview(*, user) -> list[ContractOverview]:
    """The user's contracts with what they owe now and the latest calculation: three queries
    whatever the number of contracts."""
    latest = PaymentCalculation.objects.filter(period__contract=OuterRef("pk")).order_by(
        "-period__starts_on"
    )
    contracts = list(
        Contract.objects.visible_to(user)
        .select_related("project")
        .annotate(last_calculation_id=Subquery(latest.values("pk")[:1]))
        .order_by("code")
    )
    waiting = defaultdict(list)
    periods = _with_returned_count(Period.objects.filter(contract__in=contracts))
    for period in periods.filter(Q(state=Period.State.OPEN) | Q(returned__gt=0)).order_by(
        "starts_on"
    ):
        waiting[period.contract_id].append(period)
    calculations = PaymentCalculation.objects.select_related("period").in_bulk(
        [c.last_calculation_id for c in contracts if c.last_calculation_id]
    )
    return [
        ContractOverview(c, waiting[c.pk], calculations.get(c.last_calculation_id))
        for c in contracts
    ]


def contract_periods(*, contract: Contract) -> list[Period]:
    """Every period of the contract, latest first, with its calculation and `returned`."""
    periods = Period.objects.filter(contract=contract).select_related("calculation")
    return list(_with_returned_count(periods).order_by("-starts_on"))


@dataclass
class SheetRow:
    """One KPI of a period: its definition, the engine's document of it, and every revision
    of its figure (oldest first, with their evidence)."""

    kpi: KPI
    document: dict
    revisions: list[Measurement] = field(default_factory=list)
    # A telemetry KPI's other figures: on the officials' sheet the company's own (reported)
    # revisions, on the company's sheet the computed ones. Empty for a reported KPI.
    others: list[Measurement] = field(default_factory=list)

    @property
    def other(self) -> Measurement | None:
        return self.others[-1] if self.others and self.others[-1].is_current else None

    @property
    def current(self) -> Measurement | None:
        return self.revisions[-1] if self.revisions and self.revisions[-1].is_current else None


@dataclass
class PeriodSheet:
    period: Period
    version: MechanismVersion | None
    rows: list[SheetRow]


def period_sheet(*, period: Period, company: bool = False) -> PeriodSheet:
    """A period's KPIs with their figures and evidence: the same few queries whatever the
    number of KPIs, revisions or files. A row's `revisions` are the figures that count
    (COUNTS: a telemetry KPI's computed ones), or with `company` the company's own (what the
    portal edits); `others` the rest of a telemetry KPI's figures."""
    version = period_mechanism_version(period=period)
    kpis = KPI.objects.filter(mechanism_version=version).order_by("position")
    revisions = defaultdict(list)
    measurements = (
        Measurement.objects.filter(period=period)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at")))
        .order_by("kpi_id", "revision")
    )
    for measurement in measurements:
        revisions[measurement.kpi_id, measurement.origin].append(measurement)
    rows = []
    for kpi in kpis:
        own = revisions[kpi.pk, Measurement.Origin.REPORTED]
        computed = revisions[kpi.pk, Measurement.Origin.TELEMETRY] if kpi.is_telemetry else []
        counting, others = (computed, own) if kpi.is_telemetry else (own, [])
        if company:
            counting, others = own, computed
        document = kpi_document({f: getattr(kpi, f) for f in KPI_FIELDS})
        rows.append(SheetRow(kpi, document, counting, others))
    return PeriodSheet(period, version, rows)


@dataclass
class PaymentPreview:
    result: engine.Result | None = None
    missing: list[str] = field(default_factory=list)
    problem: str = ""


def payment_preview(*, sheet: PeriodSheet) -> PaymentPreview:
    """What the engine would pay for the period's current figures, drafts included: an
    estimate shown to the enterprise, never stored (only accepted figures are paid)."""
    if sheet.version is None:
        return PaymentPreview(problem="no payment mechanism")
    evaluation = evaluation_documents(periods=[sheet.period], accepted_only=False)
    kpis = [row.document for row in sheet.rows]
    try:
        result = engine.compute(sheet.version.definition, kpis, evaluation[sheet.period.pk])
    except engine.MissingMeasurements as exc:
        return PaymentPreview(missing=exc.kpi_codes)
    except engine.EngineInputError as exc:
        return PaymentPreview(problem=str(exc))
    return PaymentPreview(result=result)
