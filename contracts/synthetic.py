"""Synthetic portfolios of many similar contracts, written in bulk: for load tests and the
payment-run benchmark (bench/payments.py), where importing bundles one by one would take
longer than what is measured."""

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from contracts.models import KPI, Contract, Measurement, MechanismVersion, Period
from contracts.periods import period_bounds
from portfolio.models import City, Party, Project

LABEL = "2026-Q1"
MECHANISM = {
    "type": "score_coefficient",
    "components": [
        {"code": "fixed", "name": "可用性服务费(固定部分)", "amount": "700000.00", "linked": False},
        {
            "code": "linked",
            "name": "可用性服务费(绩效挂钩部分)",
            "amount": "300000.00",
            "linked": True,
        },
        {"code": "om_fee", "name": "运营维护绩效服务费", "amount": "250000.00", "linked": True},
    ],
    "coefficient": {"type": "proportional", "full_at": "90"},
    "money_places": 2,
}
# Twenty KPIs of 5 points each, cycling through the four rules.
KPI_RULES = [
    {"rule": "deduct_per_step", "direction": "higher", "target": "99", "step": "0.1",
     "points_per_step": "1"},
    {"rule": "proportional", "direction": "lower", "target": "60", "floor": "300"},
    {"rule": "threshold", "direction": "higher", "target": "95"},
    {"rule": "manual"},
]  # fmt: skip
ACTUALS = {  # the range an actual value is drawn from, per rule
    "deduct_per_step": ("98.0", "99.8"),
    "proportional": ("30", "320"),
    "threshold": ("90", "100"),
}


def synthetic_kpis(count: int = 20) -> list[dict]:
    """KPI documents (bundle shape) whose max_points add up to 100."""
    points = Decimal(100) / count
    return [
        {
            "code": f"K{i + 1:02d}",
            "name": f"指标{i + 1}",
            "dimension": ("output", "effect", "management")[i % 3],
            "unit": "%",
            "max_points": str(points),
            **KPI_RULES[i % len(KPI_RULES)],
        }
        for i in range(count)
    ]


def synthetic_measurement(kpi: dict, rng: random.Random) -> dict:
    if kpi["rule"] == "manual":
        return {"kpi": kpi["code"], "points": str(rng.randint(0, int(Decimal(kpi["max_points"]))))}
    low, high = (Decimal(x) for x in ACTUALS[kpi["rule"]])
    value = low + (high - low) * Decimal(rng.randint(0, 1000)) / 1000
    return {"kpi": kpi["code"], "value": str(value.quantize(Decimal("0.01")))}


@transaction.atomic
def synthetic_portfolio_create(
    *, contracts: int, kpis: int = 20, label: str = LABEL, seed: int = 1, prefix: str = "SYN"
) -> dict[str, dict]:
    """Create `contracts` quarterly contracts of one agency, each with `kpis` KPIs and a
    submitted period `label` whose measurements are all accepted. Returns contract code → the
    period's evaluation document, so callers can check results against the engine. Call it
    again with another `prefix` to add more (in smaller transactions: on PostgreSQL the audit
    triggers make one huge transaction slow)."""
    rng = random.Random(seed)
    kpi_docs = synthetic_kpis(kpis)
    starts_on, ends_on = period_bounds(label, "quarterly")
    city, _ = City.objects.get_or_create(name="合成市", defaults={"name_en": "Synthetic City"})
    government, _ = Party.objects.get_or_create(
        name="合成市数据资源局", defaults={"kind": Party.Kind.GOVERNMENT}
    )
    codes = [f"{prefix}-{i:05d}" for i in range(contracts)]
    enterprises = Party.objects.bulk_create(
        Party(kind=Party.Kind.ENTERPRISE, name=f"{code} 项目公司") for code in codes
    )
    projects = Project.objects.bulk_create(
        Project(
            code=code, name=f"{code} 项目", city=city, sector="public_wifi", stage="execution",
            operation_mode="BOT", return_mechanism="government_pays",
            total_investment=Decimal("50000000.00"), cooperation_years=10,
        )
        for code in codes
    )  # fmt: skip
    contract_rows = Contract.objects.bulk_create(
        Contract(
            code=code, project=project, title=f"{code} 合同", government_party=government,
            private_party=enterprise, signed_on=date(2020, 1, 1), starts_on=date(2020, 1, 1),
            ends_on=date(2035, 12, 31), currency="CNY", frequency="quarterly",
        )
        for code, project, enterprise in zip(codes, projects, enterprises, strict=True)
    )  # fmt: skip
    versions = MechanismVersion.objects.bulk_create(
        MechanismVersion(
            contract=c, version=1, effective_from=c.starts_on, type=MECHANISM["type"],
            definition=MECHANISM,
        )
        for c in contract_rows
    )  # fmt: skip
    kpi_rows = KPI.objects.bulk_create(
        KPI(
            mechanism_version=v, position=i, code=k["code"], name=k["name"],
            dimension=k["dimension"], unit=k["unit"], rule=k["rule"],
            direction=k.get("direction", ""), target=k.get("target"), floor=k.get("floor"),
            max_points=k["max_points"], step=k.get("step"),
            points_per_step=k.get("points_per_step"),
        )
        for v in versions
        for i, k in enumerate(kpi_docs)
    )  # fmt: skip
    periods = Period.objects.bulk_create(
        Period(
            contract=c, label=label, starts_on=starts_on, ends_on=ends_on, due_on=ends_on,
            state=Period.State.SUBMITTED,
        )
        for c in contract_rows
    )  # fmt: skip
    evaluations, measurements = {}, []
    for n, (code, period) in enumerate(zip(codes, periods, strict=True)):
        entries = [synthetic_measurement(k, rng) for k in kpi_docs]
        evaluations[code] = {"period": label, "measurements": entries}
        for kpi, entry in zip(kpi_rows[n * kpis : (n + 1) * kpis], entries, strict=True):
            measurements.append(
                Measurement(
                    period=period, kpi=kpi, value=entry.get("value"), points=entry.get("points"),
                    state=Measurement.State.ACCEPTED, source=Measurement.Source.IMPORT,
                )
            )  # fmt: skip
    Measurement.objects.bulk_create(measurements, batch_size=5000)
    return evaluations
