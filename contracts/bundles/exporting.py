"""Exporting a contract as a `ppp-bundle/1` document.

The pieces (`mechanism_document`, `kpi_document`, `evaluation_document`) are also the engine's
inputs, so what is exported is exactly what a calculation reads.
"""

from decimal import Decimal

from django.db.models import Prefetch

from contracts.models import KPI, Contract, Measurement, MechanismVersion, Period
from portfolio.models import Party

from .validation import FORMAT

GOVERNMENT_KEY, PRIVATE_KEY = "gov", "spv"


def decimal_text(value: Decimal) -> str:
    """A stored decimal as the shortest exact string: 99.500000 → "99.5", 100 → "100"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _party_document(key: str, party: Party) -> dict:
    doc = {"key": key, "kind": party.kind, "name": party.name}
    if party.credit_code:
        doc["credit_code"] = party.credit_code
    return doc


def kpi_document(kpi: KPI) -> dict:
    doc = {"code": kpi.code, "name": kpi.name, "dimension": kpi.dimension, "unit": kpi.unit}
    if kpi.direction:
        doc["direction"] = kpi.direction
    for name in ("target", "floor"):
        if getattr(kpi, name) is not None:
            doc[name] = decimal_text(getattr(kpi, name))
    doc["max_points"] = decimal_text(kpi.max_points)
    doc["rule"] = kpi.rule
    for name in ("step", "points_per_step"):
        if getattr(kpi, name) is not None:
            doc[name] = decimal_text(getattr(kpi, name))
    if kpi.partial_step:
        doc["partial_step"] = kpi.partial_step
    return doc


def mechanism_document(version: MechanismVersion) -> dict:
    return dict(version.definition)


def evaluation_document(period: Period) -> dict:
    """The period's inputs as the bundle's `evaluations[]` item: current measurements in KPI
    order, or the deductions inputs. Expects measurements, failures and events prefetched."""
    doc: dict = {"period": period.label}
    measurements = [m for m in period.measurements.all() if m.is_current]
    if measurements:
        doc["measurements"] = [
            {"kpi": m.kpi.code, "points": decimal_text(m.points)}
            if m.points is not None
            else {"kpi": m.kpi.code, "value": decimal_text(m.value)}
            for m in sorted(measurements, key=lambda m: m.kpi.position)
        ]
    failures = period.availability_failures.all()
    if failures:
        doc["availability_failures"] = [
            {
                "area": f.area,
                "weighting": f.weighting,
                "periods": f.periods,
                "used": f.used,
                "failures_in_period": f.failures_in_period,
            }
            for f in failures
        ]
    if period.performance_points is not None:
        doc["performance_points"] = period.performance_points
    events = period.deduction_events.all()
    if events:
        doc["events"] = [
            {"code": e.code, "quantity": decimal_text(e.quantity)}
            | ({"note": e.note} if e.note else {})
            for e in events
        ]
    return doc


def periods_with_inputs(contract: Contract):
    """The contract's periods with everything evaluation_document reads, in one query each."""
    return contract.periods.order_by("starts_on").prefetch_related(
        Prefetch(
            "measurements",
            queryset=Measurement.objects.filter(is_current=True).select_related("kpi"),
        ),
        "availability_failures",
        "deduction_events",
    )


def bundle_export(*, contract: Contract) -> dict:
    """The contract, its project, parties, latest mechanism version and every period that
    has inputs, as a bundle that imports back to the same data."""
    project = contract.project
    version = contract.mechanism_versions.order_by("-version").first()
    project_doc = {
        "code": project.code,
        "name": project.name,
        **({"name_en": project.name_en} if project.name_en else {}),
        "city": project.city.name,
        "sector": project.sector,
        "stage": project.stage,
        "operation_mode": project.operation_mode,
        "return_mechanism": project.return_mechanism,
        "total_investment": str(project.total_investment),
        "cooperation_years": project.cooperation_years,
    }
    contract_doc = {
        "code": contract.code,
        "title": contract.title,
        "government_party": GOVERNMENT_KEY,
        "private_party": PRIVATE_KEY,
        "signed_on": contract.signed_on.isoformat(),
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "currency": contract.currency,
        "frequency": contract.frequency,
        "mechanism": mechanism_document(version),
        "kpis": [kpi_document(kpi) for kpi in version.kpis.order_by("position")],
        "milestones": [
            {
                "code": m.code,
                "name": m.name,
                "due_on": m.due_on.isoformat(),
                "met_on": m.met_on.isoformat() if m.met_on else None,
            }
            for m in contract.milestones.order_by("due_on", "code")
        ],
    }
    evaluations = [evaluation_document(p) for p in periods_with_inputs(contract)]
    return {
        "format": FORMAT,
        "project": project_doc,
        "parties": [
            _party_document(GOVERNMENT_KEY, contract.government_party),
            _party_document(PRIVATE_KEY, contract.private_party),
        ],
        "contract": contract_doc,
        "evaluations": [e for e in evaluations if len(e) > 1],
    }
