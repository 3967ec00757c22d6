"""What a report shows, read once and frozen into `Report.inputs`: plain JSON (strings,
numbers, lists), so that its hash identifies the report and the PDF can be rendered from it
alone, now or years later."""

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from contracts.models import (
    COUNTS,
    KPI,
    Contract,
    Decision,
    Measurement,
    MechanismVersion,
    Milestone,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
    RectificationNotice,
)
from contracts.selectors import KPI_FIELDS, decimal_text, payment_review
from portfolio.models import City, Party
from portfolio.selectors import city_fiscal_years

from .models import Report

# Bumped when the snapshot's shape or the templates change what a report shows.
# ppp-report/3: every figure's status (final / provisional / returned), score places, people
# with their roles, texts falling back to the other language.
# ppp-report/4: the period's rectification notices (问题及原因 / 整改情况), open and closed.
SNAPSHOT_FORMAT = "ppp-report/4"
HISTORY_PERIODS = 12
CJK = re.compile(r"[\u3400-\u9fff]")
# Places a score is shown to when the mechanism sets no `score_places` (the engine then keeps
# it exact; the exact value stays in the embedded JSON).
SCORE_PLACES_SHOWN = 2

FINAL = "final"
PROVISIONAL = "provisional"
RETURNED = "returned"


def figure_status(state: str) -> str:
    """A payment's figures are final once approved or paid; returned ones are void until
    recomputed; computed or prepared ones are provisional (they may still change)."""
    if state in PaymentCalculation.FINAL_STATES:
        return FINAL
    if state == PaymentCalculation.State.RETURNED:
        return RETURNED
    return PROVISIONAL


def score_places(definition: dict | None) -> int:
    places = (definition or {}).get("score_places")
    return places if isinstance(places, int) and places >= 0 else SCORE_PLACES_SHOWN


def canonical_json(data) -> str:
    return json.dumps(
        data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def inputs_hash(data) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _person(user) -> str | None:
    """A person by full name — a Chinese one family name first, unspaced (张伟) — and by the
    login name only for an account that has no name."""
    if user is None:
        return None
    if CJK.search(user.last_name + user.first_name):
        return (user.last_name + user.first_name).strip()
    return user.get_full_name() or user.username


def _signatory(user) -> dict | None:
    """Who signed a step: name, role (a `User.Role` value) and the party they act for."""
    if user is None:
        return None
    return {
        "name": _person(user),
        "role": user.role,
        "party": user.party.name if user.party else "",
    }


def _dec(value) -> str | None:
    return None if value is None else decimal_text(Decimal(value))


def _when(value) -> str | None:
    return None if value is None else value.isoformat()


def _telemetry_of(measurement: Measurement | None) -> dict:
    if measurement is None:
        return {}
    return {
        "telemetry": {
            "stream": measurement.kpi.telemetry_stream,
            "metric": measurement.kpi.telemetry_metric,
            "sample_size": measurement.sample_size,
            "fingerprint": measurement.fingerprint,
        }
    }


def contract_report_document(*, period: Period, language: str) -> dict:
    """A contract period's evaluation report; the period must have a calculation."""
    calculation = PaymentCalculation.objects.select_related(
        "period__contract__project__city",
        "period__contract__government_party",
        "period__contract__private_party",
        "mechanism_version",
        "prepared_by__party",
        "approved_by__party",
    ).get(period=period)
    contract, project = calculation.period.contract, calculation.period.contract.project
    review = payment_review(calculation=calculation)
    version = calculation.mechanism_version
    evaluators = (
        Measurement.objects.filter(COUNTS, period=period, is_current=True)
        .select_related("submitted_by", "reviewed_by", "kpi")
        .order_by("kpi__position")
    )
    computed = {m.kpi.code: m for m in evaluators if m.origin == Measurement.Origin.TELEMETRY}
    submitted = sorted({_person(m.submitted_by) for m in evaluators if m.submitted_by})
    reviewed = sorted({_person(m.reviewed_by) for m in evaluators if m.reviewed_by})
    history = list(
        PaymentCalculation.objects.filter(
            period__contract=contract, period__starts_on__lte=period.starts_on
        )
        .order_by("-period__starts_on")
        .values_list(
            "period__label",
            "score",
            "payable",
            "full_amount",
            "state",
            "mechanism_version__definition__score_places",
        )[:HISTORY_PERIODS]
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
            # Telemetry KPIs only (docs/telemetry.md): reported ones keep their document.
            **_telemetry_of(computed.get(row["code"])),
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
            "status": figure_status(calculation.state),
            "score": _dec(calculation.score),
            "score_places": score_places(version.definition),
            "grade": calculation.grade,
            "coefficient": _dec(calculation.coefficient),
            "full_amount": _dec(calculation.full_amount),
            "deduction": _dec(calculation.deduction),
            "payable": _dec(calculation.payable),
            "computed_at": _when(calculation.computed_at),
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
        "approvals": _approvals(calculation, period),
        "rectifications": _rectifications(period),
        "history": [
            {
                "period": label,
                "state": state,
                "status": figure_status(state),
                "score": _dec(score),
                "score_places": score_places({"score_places": places}),
                "payable": _dec(payable),
                "full_amount": _dec(full),
            }
            for label, score, payable, full, state, places in reversed(history)
        ],
    }


def _rectifications(period: Period) -> list[dict]:
    """The period's rectification notices, open and closed, oldest first: what the report's
    问题及原因 (the problem, the required action, the deadline) and 整改情况 (the answer, its
    files, the verification) print. A new or changed notice makes a new report version."""
    notices = (
        RectificationNotice.objects.filter(period=period)
        .select_related("kpi", "issued_by__party", "verified_by__party")
        .prefetch_related("files")
        .order_by("issued_at", "pk")
    )
    return [
        {
            "kpi": n.kpi.code if n.kpi else None,
            "kpi_name": n.kpi.name if n.kpi else None,
            "problem": n.problem,
            "required_action": n.required_action,
            "deadline": n.deadline,
            "state": n.state,
            "issued_by": _signatory(n.issued_by),
            "issued_at": _when(n.issued_at),
            "answer": n.answer,
            "answered_at": _when(n.answered_at),
            "files": [{"name": f.original_name, "sha256": f.sha256} for f in n.files.all()],
            "verified_by": _signatory(n.verified_by),
            "verified_at": _when(n.verified_at),
        }
        for n in notices
    ]


def _approvals(calculation: PaymentCalculation, period: Period) -> list[dict]:
    """Every decision on the period, once, in order, each by a named person with their role.
    A preparation or approval recorded on the payment without its decision (an imported
    history) is listed from the payment."""
    rows = [
        {
            "action": d.action,
            "by": _signatory(d.user),
            "at": _when(d.created_at),
            "reason": d.reason,
        }
        for d in Decision.objects.filter(period=period).select_related("user__party")
    ]
    for action, user, moment in (
        (Decision.Action.PREPARE, calculation.prepared_by, calculation.prepared_at),
        (Decision.Action.APPROVE, calculation.approved_by, calculation.approved_at),
    ):
        if user is not None and not any(row["action"] == action for row in rows):
            rows.append(
                {"action": action, "by": _signatory(user), "at": _when(moment), "reason": ""}
            )
    return sorted(rows, key=lambda row: row["at"] or "")


def _sums() -> dict:
    return {"periods": 0, "full_amount": Decimal(0), "payable": Decimal(0)}


def _sums_text(sums: dict) -> dict:
    return {
        "periods": sums["periods"],
        "full_amount": _dec(sums["full_amount"]),
        "payable": _dec(sums["payable"]),
        "deduction": _dec(sums["full_amount"] - sums["payable"]),
    }


def portfolio_agency_id(*, user) -> int | None:
    """Whose contracts a portfolio report shows row by row (and in calculations.json) when
    `user` asks: None — every contract of the city (auditors, superusers, the system);
    otherwise only those of the user's agency (an official's party). The city's budget and
    obligations are aggregates and stay whole either way."""
    if user is None or user.is_superuser or user.role == "auditor":
        return None
    return user.party_id or 0  # no party: no contract's rows


def portfolio_report_document(
    *, city: City, year: int, language: str, agency_id: int | None = None
) -> dict:
    """Every contract of the city with payments for periods ending in `year` (with
    `agency_id`: of that government party only — see `portfolio_agency_id`): the figures of
    its approved and paid periods (final: the totals), apart from those computed or prepared
    (provisional), and the periods returned for recomputation (left out); the latest
    evaluated period's score and grade; and the year's payment obligations under all the
    city's contracts against its budget."""
    calculations = PaymentCalculation.objects.filter(
        period__contract__project__city=city, period__ends_on__year=year
    )
    if agency_id is not None:
        calculations = calculations.filter(period__contract__government_party_id=agency_id)
    calculations = calculations.select_related(
        "period__contract__project", "period__contract__private_party", "mechanism_version"
    ).order_by("period__contract__code", "period__starts_on")
    rows: dict[str, dict] = {}
    totals = {FINAL: _sums(), PROVISIONAL: _sums()}
    returned = []
    for c in calculations:
        contract = c.period.contract
        status = figure_status(c.state)
        row = rows.setdefault(
            contract.code,
            {
                "code": contract.code,
                "title": contract.title,
                "project": contract.project.name,
                "private_party": contract.private_party.name,
                FINAL: _sums(),
                PROVISIONAL: _sums(),
                "returned": [],
                "latest": None,
                "calculations": [],
            },
        )
        row["calculations"].append(
            {
                "period": c.period.label,
                "state": c.state,
                "status": status,
                "full_amount": _dec(c.full_amount),
                "payable": _dec(c.payable),
                "score": _dec(c.score),
                "result": c.result,
                "inputs": c.inputs,
            }
        )
        if status == RETURNED:
            row["returned"].append(c.period.label)
            returned.append({"contract": contract.code, "period": c.period.label})
            continue
        for sums in (row[status], totals[status]):
            sums["periods"] += 1
            sums["full_amount"] += c.full_amount
            sums["payable"] += c.payable
        # Ordered by start: the last one seen is the latest evaluated period of the year.
        row["latest"] = {
            "period": c.period.label,
            "score": _dec(c.score),
            "score_places": score_places(c.mechanism_version.definition),
            "grade": c.grade,
            "state": c.state,
            "status": status,
        }
    (fiscal,) = city_fiscal_years(city_ids=[city.pk], years=[year])[city.pk]
    return {
        "format": SNAPSHOT_FORMAT,
        "kind": "portfolio",
        "language": language,
        "city": {"name": city.name, "name_en": city.name_en, "province": city.province},
        "year": year,
        # None: every contract of the city; else the agency whose contracts alone are shown.
        "agency": None
        if agency_id is None
        else (Party.objects.filter(pk=agency_id).values_list("name", flat=True).first() or ""),
        "contracts": [
            {**row, FINAL: _sums_text(row[FINAL]), PROVISIONAL: _sums_text(row[PROVISIONAL])}
            for row in rows.values()
        ],
        # The totals are the final figures; provisional ones are summed apart, never added.
        "totals": {
            "contracts": len(rows),
            FINAL: _sums_text(totals[FINAL]),
            PROVISIONAL: _sums_text(totals[PROVISIONAL]),
            "returned": returned,
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
            "status": calculation["status"],
            "inputs": calculation["inputs"],
            "result": calculation["result"],
            "history": [
                {key: row[key] for key in ("period", "state", "status", "score", "payable")}
                for row in document["history"]
            ],
        }
        return "calculation.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    data = {
        "city": document["city"]["name"],
        "year": document["year"],
        "contracts": {row["code"]: row["calculations"] for row in document["contracts"]},
        "totals": document["totals"],
        "obligations": document["budget"]["obligations"],
    }
    return "calculations.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def texts_shown(*, period: Period, language: str, texts: dict) -> dict:
    """问题及原因 and 建议 as the report prints them: its own, or where one is empty, the
    other language's current text of the same period, marked with its language."""
    shown = {}
    # Two languages: the other one's current report (the one whose texts were given last).
    other = (
        Report.objects.filter(kind=Report.Kind.CONTRACT, period=period)
        .exclude(language=language)
        .defer("inputs")
        .current_first()
        .first()
    )
    for name in ("findings", "recommendations"):
        if texts[name] or other is None or not getattr(other, name):
            shown[name] = {"text": texts[name], "language": language}
        else:
            shown[name] = {"text": getattr(other, name), "language": other.language}
    return shown


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
        COUNTS, period__contract_id__in=ids, is_current=True, state=Measurement.State.ACCEPTED
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
