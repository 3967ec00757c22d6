"""What a report shows, read once and frozen into `Report.inputs`: plain JSON (strings,
numbers, lists), so that its hash identifies the report and the PDF can be rendered from it
alone, now or years later."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from contracts.models import (
    KPI,
    Contract,
    Decision,
    Measurement,
    MechanismVersion,
    Milestone,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
)
from contracts.selectors import KPI_FIELDS, decimal_text, payment_review
from portfolio.models import City
from portfolio.selectors import city_fiscal_years

from .models import Report

# Bumped when the snapshot's shape or the templates change what a report shows.
SNAPSHOT_FORMAT = "ppp-report/2"
HISTORY_PERIODS = 12


def canonical_json(data) -> str:
    return json.dumps(
        data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def inputs_hash(data) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def _dec(value) -> str | None:
    return None if value is None else decimal_text(Decimal(value))


def _when(value) -> str | None:
    return None if value is None else value.isoformat()


def contract_report_document(*, period: Period, language: str) -> dict:
    """A contract period's evaluation report; the period must have a calculation."""
    calculation = PaymentCalculation.objects.select_related(
        "period__contract__project__city",
        "period__contract__government_party",
        "period__contract__private_party",
        "mechanism_version",
        "prepared_by",
        "approved_by",
    ).get(period=period)
    contract, project = calculation.period.contract, calculation.period.contract.project
    review = payment_review(calculation=calculation)
    version = calculation.mechanism_version
    evaluators = (
        Measurement.objects.filter(period=period, is_current=True)
        .select_related("submitted_by", "reviewed_by")
        .order_by("kpi__position")
    )
    submitted = sorted({_person(m.submitted_by) for m in evaluators if m.submitted_by})
    reviewed = sorted({_person(m.reviewed_by) for m in evaluators if m.reviewed_by})
    history = list(
        PaymentCalculation.objects.filter(
            period__contract=contract, period__starts_on__lte=period.starts_on
        )
        .order_by("-period__starts_on")
        .values_list("period__label", "score", "payable", "full_amount")[:HISTORY_PERIODS]
    )
    kpi_rows = [
        {
            "code": row["code"],
            "name": row["name"],
            "dimension": row["dimension"],
            "unit": row["unit"],
            "rule": row["rule"],
            "target": row.get("target"),
            "actual": row["actual"],
            "max_points": row["max_points"],
            "points": row["points"],
            "evidence": [
                {"name": e.original_name, "sha256": e.sha256, "size": e.size}
                for e in row["evidence"]
            ],
        }
        for row in review["kpi_rows"]
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "kind": "contract",
        "language": language,
        "project": {
            "code": project.code,
            "name": project.name,
            "name_en": project.name_en,
            "city": project.city.name,
            "city_en": project.city.name_en,
            "sector": project.sector,
            "operation_mode": project.operation_mode,
            "total_investment": _dec(project.total_investment),
            "cooperation_years": project.cooperation_years,
        },
        "government_party": contract.government_party.name,
        "private_party": contract.private_party.name,
        "contract": {
            "code": contract.code,
            "title": contract.title,
            "signed_on": contract.signed_on,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "currency": contract.currency,
            "frequency": contract.frequency,
        },
        "mechanism": {
            "version": version.version,
            "effective_from": version.effective_from,
            "agreement": version.agreement,
            "type": version.type,
        },
        "period": {
            "label": period.label,
            "starts_on": period.starts_on,
            "ends_on": period.ends_on,
            "state": period.state,
            "due_on": period.due_on,
            "submitted_at": _when(period.submitted_at),
            "submitted_late": period.is_late,
        },
        "evaluation": {
            "submitted_by": submitted,
            "reviewed_by": reviewed,
            "evidence_files": sum(len(r["evidence"]) for r in kpi_rows),
        },
        "calculation": {
            "state": calculation.state,
            "score": _dec(calculation.score),
            "grade": calculation.grade,
            "coefficient": _dec(calculation.coefficient),
            "full_amount": _dec(calculation.full_amount),
            "deduction": _dec(calculation.deduction),
            "payable": _dec(calculation.payable),
            "computed_at": _when(calculation.computed_at),
            "prepared_by": _person(calculation.prepared_by),
            "prepared_at": _when(calculation.prepared_at),
            "approved_by": _person(calculation.approved_by),
            "approved_at": _when(calculation.approved_at),
            "paid_reference": calculation.paid_reference,
            "paid_on": calculation.paid_on,
            # The engine's full input and output: embedded in the PDF as calculation.json.
            "inputs": calculation.inputs,
            "result": calculation.result,
        },
        "kpi_rows": kpi_rows,
        "lines": [
            {key: line[key] for key in ("kind", "code", "description", "inputs", "amount")}
            for line in review["lines"]
        ],
        "decisions": [
            {
                "action": d.action,
                "user": _person(d.user),
                "at": _when(d.created_at),
                "reason": d.reason,
            }
            for d in Decision.objects.filter(period=period).select_related("user")
        ],
        "history": [
            {
                "period": label,
                "score": _dec(score),
                "payable": _dec(payable),
                "full_amount": _dec(full),
            }
            for label, score, payable, full in reversed(history)
        ],
    }


def portfolio_report_document(*, city: City, year: int, language: str) -> dict:
    """Every contract of the city with payments for periods ending in `year`: the latest
    period's score and grade, the year's full amounts and payables; and the year's payment
    obligations under all the city's contracts against its budget."""
    calculations = (
        PaymentCalculation.objects.filter(
            period__contract__project__city=city, period__ends_on__year=year
        )
        .select_related("period__contract__project", "period__contract__private_party")
        .order_by("period__contract__code", "period__starts_on")
    )
    rows: dict[str, dict] = {}
    totals = defaultdict(Decimal)
    for c in calculations:
        contract = c.period.contract
        row = rows.setdefault(
            contract.code,
            {
                "code": contract.code,
                "title": contract.title,
                "project": contract.project.name,
                "private_party": contract.private_party.name,
                "periods": 0,
                "full_amount": Decimal(0),
                "payable": Decimal(0),
                "calculations": [],
            },
        )
        row["periods"] += 1
        row["full_amount"] += c.full_amount
        row["payable"] += c.payable
        # Ordered by start: the last one seen is the latest period of the year.
        row.update(
            latest_period=c.period.label,
            score=_dec(c.score),
            grade=c.grade,
            state=c.state,
        )
        row["calculations"].append(
            {
                "period": c.period.label,
                "state": c.state,
                "full_amount": _dec(c.full_amount),
                "payable": _dec(c.payable),
                "score": _dec(c.score),
                "result": c.result,
                "inputs": c.inputs,
            }
        )
        totals["full_amount"] += c.full_amount
        totals["payable"] += c.payable
    (fiscal,) = city_fiscal_years(city_ids=[city.pk], years=[year])[city.pk]
    return {
        "format": SNAPSHOT_FORMAT,
        "kind": "portfolio",
        "language": language,
        "city": {"name": city.name, "name_en": city.name_en, "province": city.province},
        "year": year,
        "contracts": [
            {
                **row,
                "full_amount": _dec(row["full_amount"]),
                "payable": _dec(row["payable"]),
            }
            for row in rows.values()
        ],
        "totals": {
            "contracts": len(rows),
            "full_amount": _dec(totals["full_amount"]),
            "payable": _dec(totals["payable"]),
            "deduction": _dec(totals["full_amount"] - totals["payable"]),
        },
        "budget": {
            "general_expenditure": _dec(fiscal.general_expenditure),
            # The year's PPP payment obligations under the contracts against the budget.
            "obligations": _dec(fiscal.obligations),
            "share": _dec(fiscal.share),
            "limit_10": _dec(fiscal.ceiling),
            "limit_5": _dec(fiscal.warning_line),
        },
    }


def report_attachment(document: dict) -> tuple[str, str]:
    """(name, JSON text) embedded in the PDF: the calculation's inputs and result, or the
    year's calculations of a portfolio report."""
    if document["kind"] == "contract":
        calculation = document["calculation"]
        data = {
            "contract": document["contract"]["code"],
            "period": document["period"]["label"],
            "state": calculation["state"],
            "inputs": calculation["inputs"],
            "result": calculation["result"],
        }
        return "calculation.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    data = {
        "city": document["city"]["name"],
        "year": document["year"],
        "contracts": {row["code"]: row["calculations"] for row in document["contracts"]},
    }
    return "calculations.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def period_reports(*, period: Period) -> list[dict]:
    """The period's contract report in each language: the current one (None: never
    requested), whose texts the next version starts from."""
    current = {}
    for report in (
        Report.objects.filter(kind=Report.Kind.CONTRACT, period=period)
        .defer("inputs")
        .current_first()
    ):
        current.setdefault(report.language, report)
    return [
        {"language": code, "label": label, "report": current.get(code)}
        for code, label in Report.Language.choices
    ]


@dataclass(frozen=True)
class OcdsContractData:
    """Everything one contract's OCDS release is built from (public-safe fields only: no
    evidence files, no people)."""

    contract: Contract
    versions: list[MechanismVersion]  # oldest first, each with `kpi_rows` (values() rows)
    milestones: list[Milestone]
    periods: list[Period]  # in order, each with `calculation_or_none`
    # (period id, KPI code) → the current accepted measurement's value or points.
    measurements: dict[tuple[int, str], Decimal]
    adjustments: list[PaymentAdjustment]  # approved, of approved or paid payments, oldest first


def ocds_contracts_data(*, contracts: QuerySet) -> list[OcdsContractData]:
    """The contracts (a queryset, already scoped) with what their OCDS release shows, read in
    a fixed number of queries whatever the number of contracts, periods and KPIs."""
    contracts = list(
        contracts.select_related("project__city", "government_party", "private_party").order_by(
            "code"
        )
    )
    ids = [c.pk for c in contracts]
    versions = defaultdict(list)
    by_version = {}
    for version in MechanismVersion.objects.filter(contract_id__in=ids).order_by(
        "contract_id", "effective_from"
    ):
        version.kpi_rows = []
        by_version[version.pk] = version
        versions[version.contract_id].append(version)
    for row in (
        KPI.objects.filter(mechanism_version_id__in=list(by_version))
        .order_by("position")
        .values(*KPI_FIELDS)
    ):
        by_version[row["mechanism_version_id"]].kpi_rows.append(row)
    milestones = defaultdict(list)
    for milestone in Milestone.objects.filter(contract_id__in=ids).order_by("due_on", "code"):
        milestones[milestone.contract_id].append(milestone)
    periods = defaultdict(list)
    for period in (
        Period.objects.filter(contract_id__in=ids)
        .select_related("calculation")
        .order_by("starts_on")
    ):
        period.calculation_or_none = getattr(period, "calculation", None)
        periods[period.contract_id].append(period)
    measurements = defaultdict(dict)
    for contract_id, period_id, code, value, points in Measurement.objects.filter(
        period__contract_id__in=ids, is_current=True, state=Measurement.State.ACCEPTED
    ).values_list("period__contract_id", "period_id", "kpi__code", "value", "points"):
        measurements[contract_id][period_id, code] = value if points is None else points
    adjustments = defaultdict(list)
    for adjustment in (
        PaymentAdjustment.objects.filter(
            calculation__period__contract_id__in=ids,
            calculation__state__in=PaymentCalculation.FINAL_STATES,
            state=PaymentAdjustment.State.APPROVED,  # proposed or rejected ones never count
        )
        .select_related("calculation__period")
        .order_by("created_at", "pk")
    ):
        adjustments[adjustment.calculation.period.contract_id].append(adjustment)
    return [
        OcdsContractData(
            contract=c,
            versions=versions[c.pk],
            milestones=milestones[c.pk],
            periods=periods[c.pk],
            measurements=measurements[c.pk],
            adjustments=adjustments[c.pk],
        )
        for c in contracts
    ]
