"""Contracts as an OCDS 1.1.5 release package following the OCDS for PPPs profile.

One release per contract (tags `contract` and, once it has any, `implementation`): the
parties and their roles, the award and contract with its value, the KPI targets
(`agreedMetrics`), and the implementation: milestones, accepted measurements (`metrics`),
approved and paid payments (`transactions`) and their deductions (`performanceFailures`).
Only public-safe fields: no evidence files, no people, no review reasons.

Dates are RFC 3339 in the site's time zone (a period ends at 23:59:59 of its last day).
Money is an OCDS `value`: the amount rounded half-up to 2 places and written as a JSON
number, which is exact for up to 15 significant digits (amounts below 10^13); a larger
amount is refused rather than written wrong. KPI values are exact decimal strings.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from contracts.engine.terms import period_full_amount
from contracts.models import MechanismVersion, PaymentCalculation, Period
from contracts.periods import period_bounds, period_labels_between
from contracts.selectors import decimal_text, version_in_force
from portfolio.money import money_json_number

from .selectors import OcdsContractData

OCDS_VERSION = "1.1"
# The OCDS for PPPs profile's extensions whose fields or codes the export uses, with the
# extension.json URLs the profile pins (../shared/ocds/ppp-profile/extensions.md): declared in
# the package so that a validator reads those fields as extension fields, not unknown ones.
_OCP = "https://raw.githubusercontent.com/open-contracting"
EXTENSIONS = {
    "metrics": f"{_OCP}/ocds_metrics_extension/master/extension.json",
    "performance_failures": f"{_OCP}/ocds_performance_failures/master/extension.json",
    "signatories": f"{_OCP}/ocds_contract_signatories_extension/master/extension.json",
    "ppp": f"{_OCP}-extensions/ocds_ppp_extension/master/extension.json",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def money(amount: Decimal, currency: str) -> dict:
    """An OCDS `value`: the amount as a JSON number (`money_json_number`) and its currency."""
    return {"amount": money_json_number(amount), "currency": currency}


def moment(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def at(day: date, clock: time = time.min) -> datetime:
    return datetime.combine(day, clock, tzinfo=timezone.get_current_timezone())


def day_start(day: date) -> str:
    return moment(at(day))


def day_end(day: date) -> str:
    return moment(at(day, time(23, 59, 59)))


def period_of(first: date, last: date) -> dict:
    return {"startDate": day_start(first), "endDate": day_end(last)}


def ocid_for(contract_code: str) -> str:
    """Stable: the configured prefix and the contract's code, nothing that changes."""
    return f"{settings.OCDS_OCID_PREFIX}-{contract_code}"


@dataclass(frozen=True)
class Parties:
    """The two parties of a contract as OCDS `parties[]` and organization references."""

    government: dict
    private: dict
    documents: list

    @classmethod
    def of(cls, data: OcdsContractData) -> "Parties":
        contract = data.contract
        city = contract.project.city
        address = {"locality": city.name, **({"region": city.province} if city.province else {})}
        government = _party(contract.government_party, ["buyer", "procuringEntity", "payer"])
        government["address"] = address
        private = _party(contract.private_party, ["supplier", "privateParty", "payee"])
        return cls(reference(government), reference(private), [government, private])


def _party(party, roles: list[str]) -> dict:
    doc = {"id": f"party-{party.pk}", "name": party.name, "roles": roles}
    if party.credit_code:
        # 统一社会信用代码 (GB 32100-2015), the org-id.guide scheme CN-USCC.
        doc["id"] = f"CN-USCC-{party.credit_code}"
        doc["identifier"] = {
            "scheme": "CN-USCC",
            "id": party.credit_code,
            "legalName": party.name,
        }
    return doc


def reference(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


def contract_value(data: OcdsContractData) -> Decimal:
    """What the government pays over the whole term at full performance: every period's full
    amount under the mechanism version in force at its start."""
    contract, total = data.contract, Decimal(0)
    for label in period_labels_between(contract.starts_on, contract.ends_on, contract.frequency):
        first, _ = period_bounds(label, contract.frequency)
        total += period_full_amount(version_in_force(data.versions, first).definition)
    return total


def contract_status(data: OcdsContractData, today: date) -> str:
    if today < data.contract.starts_on:
        return "pending"
    return "terminated" if today > data.contract.ends_on else "active"


def agreed_metrics(data: OcdsContractData) -> list[dict]:
    """One metric per KPI code; its targets and maximum points per mechanism version, over
    the time that version was in force."""
    metrics: dict[str, dict] = {}
    contract = data.contract
    for index, version in enumerate(data.versions):
        later = data.versions[index + 1 :]
        until = (
            date.fromordinal(later[0].effective_from.toordinal() - 1) if later else contract.ends_on
        )
        in_force = period_of(max(version.effective_from, contract.starts_on), until)
        for kpi in version.kpi_rows:
            metric = metrics.setdefault(
                kpi["code"],
                {"id": kpi["code"], "title": kpi["name"], "observations": []},
            )
            metric["description"] = f"{kpi['dimension']}; scoring rule {kpi['rule']}"
            prefix = f"{kpi['code']}-v{version.version}"
            if kpi["target"] is not None:
                target = {
                    "id": f"{prefix}-target",
                    "period": in_force,
                    "measure": decimal_text(kpi["target"]),
                    "notes": f"target; {kpi['direction']} is better",
                }
                if kpi["unit"]:
                    target["unit"] = {"name": kpi["unit"]}
                metric["observations"].append(target)
            metric["observations"].append(
                {
                    "id": f"{prefix}-max-points",
                    "period": in_force,
                    "measure": decimal_text(kpi["max_points"]),
                    "unit": {"name": "points"},
                    "notes": "maximum points",
                }
            )
    return list(metrics.values())


def observed_metrics(data: OcdsContractData) -> list[dict]:
    """Accepted current measurements, one observation per KPI and period."""
    units = {kpi["code"]: kpi for v in data.versions for kpi in v.kpi_rows}
    metrics: dict[str, dict] = {}
    for period in data.periods:
        for code, kpi in units.items():
            value = data.measurements.get((period.pk, code))
            if value is None:
                continue
            metric = metrics.setdefault(
                code, {"id": code, "title": kpi["name"], "observations": []}
            )
            unit = "points" if kpi["rule"] == "manual" else kpi["unit"]
            observation = {
                "id": f"{code}-{period.label}",
                "period": period_of(period.starts_on, period.ends_on),
                "measure": decimal_text(value),
            }
            if unit:
                observation["unit"] = {"name": unit}
            metric["observations"].append(observation)
    return list(metrics.values())


def milestones(data: OcdsContractData, today: date) -> list[dict]:
    docs = []
    for m in data.milestones:
        doc = {"id": m.code, "title": m.name, "type": "delivery", "dueDate": day_start(m.due_on)}
        if m.met_on:
            doc.update(dateMet=day_start(m.met_on), status="met")
        else:
            doc["status"] = "notMet" if m.is_overdue(today) else "scheduled"
        docs.append(doc)
    return docs


def final_payments(data: OcdsContractData) -> list[tuple[Period, PaymentCalculation]]:
    return [
        (p, p.calculation_or_none)
        for p in data.periods
        if p.calculation_or_none is not None and p.calculation_or_none.is_final
    ]


def transactions(data: OcdsContractData, parties: Parties) -> list[dict]:
    """Approved and paid payments (dated when paid, else when approved) and their
    adjustments; nothing still being computed or prepared."""
    currency = data.contract.currency
    docs = []
    for period, payment in final_payments(data):
        paid = payment.state == PaymentCalculation.State.PAID
        docs.append(
            {
                "id": f"{data.contract.code}-{period.label}",
                "date": day_start(payment.paid_on) if paid else moment(payment.approved_at),
                "value": money(payment.payable, currency),
                "payer": parties.government,
                "payee": parties.private,
            }
        )
    for adjustment in data.adjustments:
        docs.append(
            {
                "id": f"{data.contract.code}-{adjustment.calculation.period.label}"
                f"-adjustment-{adjustment.pk}",
                "date": moment(adjustment.created_at),
                "value": money(adjustment.amount, currency),
                "payer": parties.government,
                "payee": parties.private,
            }
        )
    return docs


def performance_failures(data: OcdsContractData) -> list[dict]:
    """The deductions of approved and paid payments: one entry per deduction line (the
    deductions mechanism), or per period for a score below full payment (score ×
    coefficient). A deduction is withheld from the payment: paid once the payment is."""
    currency = data.contract.currency
    docs = []
    for period, payment in final_payments(data):
        base = {
            "period": period_of(period.starts_on, period.ends_on),
            "penaltyPaid": payment.state == PaymentCalculation.State.PAID,
        }
        lines = payment.result.get("lines", [])
        if payment.result["mechanism_type"] == MechanismVersion.Type.DEDUCTIONS:
            for index, line in enumerate(lines, start=1):
                failure = {
                    "id": f"{period.label}-{index}",
                    "category": f"{line['kind']}: {line['description']}",
                    "penaltyContracted": _contracted(line, currency),
                    "penaltyImposed": f"{line['amount']} {currency}",
                    **base,
                }
                events = _events(line)
                if events is not None:
                    failure["events"] = events
                docs.append(failure)
        elif payment.deduction > 0:
            linked = sum(
                (Decimal(ln["inputs"]["full_amount"]) for ln in lines if ln["inputs"]["linked"]),
                Decimal(0),
            )
            docs.append(
                {
                    "id": f"{period.label}-score",
                    "category": "performance evaluation",
                    "penaltyContracted": (
                        f"the performance-linked {decimal_text(linked)} {currency} of the period "
                        "is paid × the coefficient of the evaluation score"
                    ),
                    "penaltyImposed": (
                        f"{payment.deduction} {currency} (score {decimal_text(payment.score)}, "
                        f"grade {payment.grade}, coefficient {decimal_text(payment.coefficient)})"
                    ),
                    **base,
                }
            )
    return docs


def _contracted(line: dict, currency: str) -> str:
    inputs = line["inputs"]
    if line["kind"] == "event":
        return f"{inputs['rate']} {currency} per unit"
    if line["kind"] == "availability":
        return (
            f"area rate {inputs['area_rate']} {currency} × weighting × unavailable periods "
            "× used factor × ratchet factor"
        )
    if line["kind"] == "performance":
        return f"{inputs['rate']} {currency} per point × {inputs['multiplier']}"
    return f"deductions capped at {inputs['cap']} {currency}"


def _events(line: dict) -> int | float | None:
    count = {"event": "quantity", "availability": "periods", "performance": "points"}.get(
        line["kind"]
    )
    if count is None:
        return None
    number = Decimal(line["inputs"][count])
    return int(number) if number == number.to_integral_value() else float(number)


def release_date(data: OcdsContractData) -> str:
    """The latest change the release shows, so that an unchanged contract keeps its date."""
    moments = [at(data.contract.signed_on)]
    for _, payment in final_payments(data):
        moments.append(payment.approved_at)
        if payment.paid_on:
            moments.append(at(payment.paid_on))
    moments.extend(a.created_at for a in data.adjustments)
    return moment(max(moments))


def release(data: OcdsContractData, *, today: date) -> dict:
    contract, project = data.contract, data.contract.project
    parties = Parties.of(data)
    value = money(contract_value(data), contract.currency)
    award_id = f"{contract.code}-award"
    implementation = {
        key: items
        for key, items in (
            ("milestones", milestones(data, today)),
            ("metrics", observed_metrics(data)),
            ("transactions", transactions(data, parties)),
            ("performanceFailures", performance_failures(data)),
        )
        if items
    }
    contract_doc = {
        "id": contract.code,
        "awardID": award_id,
        "title": contract.title,
        "status": contract_status(data, today),
        "period": period_of(contract.starts_on, contract.ends_on),
        "value": value,
        "dateSigned": day_start(contract.signed_on),
        "signatories": [parties.government, parties.private],
    }
    metrics = agreed_metrics(data)
    if metrics:
        contract_doc["agreedMetrics"] = metrics
    if implementation:
        contract_doc["implementation"] = implementation
    doc = {
        "ocid": ocid_for(contract.code),
        "date": release_date(data),
        "tag": ["contract", "implementation"] if implementation else ["contract"],
        "initiationType": "tender",
        # Chinese titles (the demo's) say zh; the English examples' say en.
        "language": "zh" if CJK.search(contract.title + project.name) else "en",
        "parties": parties.documents,
        "buyer": parties.government,
        "awards": [
            {
                "id": award_id,
                "title": project.name,
                "status": "active",
                "date": day_start(contract.signed_on),
                "value": value,
                "suppliers": [parties.private],
                "contractPeriod": period_of(contract.starts_on, contract.ends_on),
            }
        ],
        "contracts": [contract_doc],
    }
    # The id changes exactly when the content does (an id must not contain "#").
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": f"{contract.code}-{digest}", **doc}


def ocds_release_package(
    contracts_data: list[OcdsContractData], *, uri: str, today: date | None = None
) -> dict:
    """A release package of the contracts' releases, published now."""
    today = today or timezone.localdate()
    releases = [release(data, today=today) for data in contracts_data]
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": extensions_used(releases),
        "publishedDate": moment(timezone.now()),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME},
        "releases": releases,
    }


def extensions_used(releases: list[dict]) -> list[str]:
    """The extension.json URLs of the extensions whose fields or codes the releases use:
    agreed and observed metrics (metrics), performance failures, signatories, and the party
    role privateParty (the PPP extension's code)."""
    used = set()
    for item in releases:
        if any("privateParty" in party["roles"] for party in item["parties"]):
            used.add("ppp")
        for contract in item.get("contracts", []):
            implementation = contract.get("implementation", {})
            if contract.get("agreedMetrics") or implementation.get("metrics"):
                used.add("metrics")
            if implementation.get("performanceFailures"):
                used.add("performance_failures")
            if contract.get("signatories"):
                used.add("signatories")
    return [url for name, url in EXTENSIONS.items() if name in used]
