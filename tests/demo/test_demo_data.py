"""Properties of the demo portfolio (portfolio/demo_data.py). Pure Python: no Django needed.

    .venv/bin/python -m pytest -p no:django -p no:cacheprovider tests/demo -q

The checks re-derive what they check from the shared spec (credit-code check character,
period labels, KPI scoring) instead of calling the module's helpers, so a bug there shows.
"""

import calendar
import collections
import datetime
import itertools
import json
import math
import re
from decimal import Decimal

import pytest

from contracts import engine
from contracts.bundles import validate_bundle
from portfolio import demo_data
from portfolio.demo_data import AUDITOR_PARTY, CITIES, DEMO_USERS, demo_bundles

TODAY = datetime.date(2026, 5, 20)
# Period edges and a leap day: labels and "closed" must hold whatever the reference date.
DATES = [
    TODAY,
    datetime.date(2026, 1, 1),
    datetime.date(2025, 12, 31),
    datetime.date(2024, 2, 29),
    datetime.date(2027, 7, 1),
    datetime.date(2030, 9, 30),
]

SECTORS = {
    "public_wifi",
    "flood_monitoring",
    "smart_parking",
    "transit_payment",
    "data_platform",
    "e_government",
}
# 一般公共预算支出 order of magnitude per city, 亿元
BUDGET_YI = {
    "北京": 8000,
    "上海": 9600,
    "深圳": 4900,
    "重庆": 5000,
    "广州": 3000,
    "成都": 2400,
    "武汉": 2100,
    "青岛": 1600,
    "长沙": 1300,
    "佛山": 900,
}
REGION = {
    "长沙": "430100",
    "佛山": "440600",
    "北京": "110000",
    "上海": "310000",
    "广州": "440100",
    "深圳": "440300",
    "重庆": "500000",
    "成都": "510100",
    "武汉": "420100",
    "青岛": "370200",
}
LABEL_RE = {
    "annual": re.compile(r"^\d{4}$"),
    "quarterly": re.compile(r"^\d{4}-Q[1-4]$"),
    "monthly": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
}
PERIODS_PER_YEAR = {"annual": 1, "quarterly": 4, "monthly": 12}


@pytest.fixture(scope="module")
def bundles():
    return demo_bundles(TODAY)


def score_coefficient(bundles):
    return [b for b in bundles if b["contract"]["mechanism"]["type"] == "score_coefficient"]


def all_parties(bundles):
    return [party for b in bundles for party in b["parties"]]


# --- independent re-implementations of the spec -------------------------------------------

GB32100_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB32100_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_ok(code: str) -> bool:
    if len(code) != 18 or any(ch not in GB32100_CHARSET for ch in code):
        return False
    total = 0
    for ch, weight in zip(code[:17], GB32100_WEIGHTS, strict=True):
        total += GB32100_CHARSET.index(ch) * weight
    check = 31 - total % 31
    return code[17] == GB32100_CHARSET[0 if check == 31 else check]


def period_bounds(label: str) -> tuple[datetime.date, datetime.date]:
    if re.fullmatch(r"\d{4}", label):
        year = int(label)
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    year = int(label[:4])
    if label[5] == "Q":
        first_month = 3 * int(label[6]) - 2
        last_month = first_month + 2
    else:
        first_month = last_month = int(label[5:])
    last_day = calendar.monthrange(year, last_month)[1]
    return datetime.date(year, first_month, 1), datetime.date(year, last_month, last_day)


def label_of(day: datetime.date, frequency: str) -> str:
    if frequency == "annual":
        return str(day.year)
    if frequency == "quarterly":
        return f"{day.year}-Q{(day.month + 2) // 3}"
    return f"{day.year}-{day.month:02d}"


def kpi_points(kpi: dict, measurement: dict) -> Decimal:
    max_points = Decimal(kpi["max_points"])
    if kpi["rule"] == "manual":
        return Decimal(measurement["points"])
    actual, target = Decimal(measurement["value"]), Decimal(kpi["target"])
    higher = kpi["direction"] == "higher"
    if kpi["rule"] == "threshold":
        return max_points if (actual >= target if higher else actual <= target) else Decimal(0)
    if kpi["rule"] == "proportional":
        floor = Decimal(kpi["floor"])
        if higher:
            ratio = (actual - floor) / (target - floor)
        else:
            ratio = (floor - actual) / (floor - target)
        return max_points * min(Decimal(1), max(Decimal(0), ratio))
    shortfall = target - actual if higher else actual - target
    if shortfall <= 0:
        return max_points
    steps = shortfall / Decimal(kpi["step"])
    partial = kpi.get("partial_step", "ceil")
    if partial == "ceil":
        steps = Decimal(math.ceil(steps))
    elif partial == "floor":
        steps = Decimal(math.floor(steps))
    return max(Decimal(0), max_points - steps * Decimal(kpi["points_per_step"]))


def grade(score: Decimal) -> str:
    if score >= 90:
        return "优"
    if score >= 80:
        return "良"
    return "中" if score >= 60 else "差"


def scores_by_contract(bundles) -> dict[str, list[Decimal]]:
    out = {}
    for b in score_coefficient(bundles):
        kpis = {k["code"]: k for k in b["contract"]["kpis"]}
        out[b["contract"]["code"]] = [
            sum(kpi_points(kpis[m["kpi"]], m) for m in e["measurements"]) for e in b["evaluations"]
        ]
    return out


# --- cities -----------------------------------------------------------------------------


def test_cities_have_realistic_budgets():
    by_name = {c["name"]: c for c in CITIES}
    assert len(CITIES) >= 10
    assert set(BUDGET_YI) <= set(by_name)
    for name, yi in BUDGET_YI.items():
        budgets = by_name[name]["budget_expenditure"]
        assert {2024, 2025, 2026, 2027} <= set(budgets)
        for amount in budgets.values():
            assert isinstance(amount, Decimal)
            assert amount.as_tuple().exponent == -2
            assert Decimal("0.8") * yi * 10**8 < amount < Decimal("1.25") * yi * 10**8, name
        assert len(set(budgets.values())) > 1, f"{name}: budget should vary by year"


def test_projects_are_in_known_cities_and_cover_all_ten(bundles):
    names = {c["name"] for c in CITIES}
    used = {b["project"]["city"] for b in bundles}
    assert used <= names
    assert set(BUDGET_YI) <= used


# --- portfolio shape ----------------------------------------------------------------------


def test_portfolio_size_sectors_and_project_fields(bundles):
    assert len(bundles) >= 15
    assert {b["project"]["sector"] for b in bundles} >= SECTORS
    for b in bundles:
        assert b["format"] == "ppp-bundle/1"
        project = b["project"]
        assert project["stage"] == "execution"
        assert project["return_mechanism"] in {"government_pays", "viability_gap", "user_pays"}
        assert project["name"].endswith("PPP项目") and project["name_en"]
        assert 10 <= project["cooperation_years"] <= 20
        assert Decimal(project["total_investment"]) > 0
    returns = collections.Counter(b["project"]["return_mechanism"] for b in bundles)
    assert returns["government_pays"] > len(bundles) / 2 and returns["viability_gap"] >= 1
    assert len({b["project"]["operation_mode"] for b in bundles}) >= 4


def test_codes_are_unique(bundles):
    assert len({b["project"]["code"] for b in bundles}) == len(bundles)
    assert len({b["contract"]["code"] for b in bundles}) == len(bundles)


def test_contract_dates_and_frequencies(bundles):
    for b in bundles:
        c = b["contract"]
        signed, starts, ends = (
            datetime.date.fromisoformat(c[k]) for k in ("signed_on", "starts_on", "ends_on")
        )
        assert signed <= starts <= ends
        assert 2 * 365 <= (TODAY - starts).days <= 6 * 366, c["code"]
        years = b["project"]["cooperation_years"]
        assert ends == datetime.date(starts.year + years, starts.month, starts.day) - (
            datetime.timedelta(days=1)
        )
        assert c["currency"] == "CNY"
        assert c["government_party"] == "gov" and c["private_party"] == "spv"
    frequencies = collections.Counter(b["contract"]["frequency"] for b in bundles)
    assert frequencies.most_common(1)[0][0] == "quarterly"
    assert frequencies["monthly"] >= 2 and frequencies["annual"] >= 2


# --- parties ------------------------------------------------------------------------------


def test_credit_check_is_implemented_right():
    # the spec's own examples, and a one-character corruption of each
    for code in ["11430100MB1A2B3C46", "91430100MA4L0P7Q2C", "12440300MB2C3D4E5X"]:
        assert credit_code_ok(code)
        assert not credit_code_ok(code[:17] + ("0" if code[17] != "0" else "1"))


def test_every_credit_code_is_valid(bundles):
    for party in [*all_parties(bundles), AUDITOR_PARTY]:
        assert credit_code_ok(party["credit_code"]), party


def test_credit_code_prefixes_and_regions(bundles):
    for b in bundles:
        gov, spv = (next(p for p in b["parties"] if p["key"] == k) for k in ("gov", "spv"))
        assert gov["kind"] == "government" and gov["credit_code"].startswith("11")
        assert gov["credit_code"][2:8] == REGION[b["project"]["city"]]
        assert spv["kind"] == "enterprise" and spv["credit_code"].startswith("91")
        assert spv["credit_code"][2:8] in REGION.values()
        assert len({p["key"] for p in b["parties"]}) == len(b["parties"])
    assert AUDITOR_PARTY["kind"] == "auditor" and AUDITOR_PARTY["credit_code"].startswith("12")


def test_party_name_and_credit_code_correspond_one_to_one(bundles):
    code_of, name_of = {}, {}
    for party in [*all_parties(bundles), AUDITOR_PARTY]:
        assert code_of.setdefault(party["name"], party["credit_code"]) == party["credit_code"]
        assert name_of.setdefault(party["credit_code"], party["name"]) == party["name"]


def test_auditor_is_party_to_no_contract(bundles):
    names = {p["name"] for p in all_parties(bundles)}
    codes = {p["credit_code"] for p in all_parties(bundles)}
    assert AUDITOR_PARTY["name"] not in names and AUDITOR_PARTY["credit_code"] not in codes


# --- demo users ---------------------------------------------------------------------------


def contracts_of(bundles, party_name, key):
    return [b for b in bundles for p in b["parties"] if p["key"] == key and p["name"] == party_name]


def test_demo_users(bundles):
    users = {u["username"]: u for u in DEMO_USERS}
    roles = {name: u["role"] for name, u in users.items()}
    assert roles == {
        "gov_preparer": "preparer",
        "gov_approver": "approver",
        "enterprise_a": "enterprise",
        "enterprise_b": "enterprise",
        "auditor": "auditor",
    }
    agency = users["gov_preparer"]["party_name"]
    assert users["gov_approver"]["party_name"] == agency
    agency_contracts = contracts_of(bundles, agency, "gov")
    assert len(agency_contracts) >= 3

    company_a = users["enterprise_a"]["party_name"]
    company_b = users["enterprise_b"]["party_name"]
    assert company_a != company_b
    for company in (company_a, company_b):
        mine = contracts_of(bundles, company, "spv")
        assert len(mine) >= 2, company
        assert any(b in agency_contracts for b in mine), f"{company} not under {agency}"
    assert users["auditor"]["party_name"] == AUDITOR_PARTY["name"]


def test_enterprise_b_performs_worse_than_enterprise_a(bundles):
    users = {u["username"]: u["party_name"] for u in DEMO_USERS}
    scores = scores_by_contract(bundles)

    def mean_score(company):
        values = [
            s for b in contracts_of(bundles, company, "spv") for s in scores[b["contract"]["code"]]
        ]
        return sum(values) / len(values)

    assert mean_score(users["enterprise_b"]) < mean_score(users["enterprise_a"])


# --- mechanisms and KPIs ------------------------------------------------------------------


def linked_share(mechanism) -> Decimal:
    amounts = [(Decimal(c["amount"]), c["linked"]) for c in mechanism["components"]]
    return sum(a for a, linked in amounts if linked) / sum(a for a, _ in amounts)


def availability_linked_share(mechanism) -> Decimal:
    amounts = [
        (Decimal(c["amount"]), c["linked"])
        for c in mechanism["components"]
        if c["code"].startswith("availability")
    ]
    return sum(a for a, linked in amounts if linked) / sum(a for a, _ in amounts)


def test_mechanism_mix(bundles):
    types = collections.Counter(b["contract"]["mechanism"]["type"] for b in bundles)
    assert types["deductions"] >= 1 and types["score_coefficient"] > len(bundles) / 2
    coefficients = [b["contract"]["mechanism"]["coefficient"] for b in score_coefficient(bundles)]
    assert {c["type"] for c in coefficients} == {"proportional", "steps"}
    assert {c["full_at"] for c in coefficients if c["type"] == "proportional"} == {"90", "100"}


def test_exactly_one_contract_below_30_percent_linked(bundles):
    # whether the 30% rule is read on the whole payment or on the availability fee alone,
    # the same single contract is below it
    for share_of in (linked_share, availability_linked_share):
        shares = {
            b["contract"]["code"]: share_of(b["contract"]["mechanism"])
            for b in score_coefficient(bundles)
        }
        below = [code for code, share in shares.items() if share < Decimal("0.3")]
        assert len(below) == 1, (share_of.__name__, shares)
    for b in score_coefficient(bundles):
        for component in b["contract"]["mechanism"]["components"]:
            assert Decimal(component["amount"]) > 0
            assert Decimal(component["amount"]).as_tuple().exponent == -2


def test_deductions_contracts(bundles):
    for b in bundles:
        mechanism = b["contract"]["mechanism"]
        if mechanism["type"] != "deductions":
            continue
        assert b["contract"]["kpis"] == []
        assert Decimal(mechanism["base_amount"]) > 0
        rates = {r["code"] for r in mechanism.get("event_rates", [])}
        for e in b["evaluations"]:
            assert "measurements" not in e
            # a list only when it has entries: the stored period omits empty ones, and a
            # re-import of a locked period compares the two
            assert "availability_failures" not in e or "availability" in mechanism
            assert ("performance_points" in e) == ("performance_points" in mechanism)
            assert "events" not in e or "event_rates" in mechanism
            assert all(e[key] for key in ("availability_failures", "events") if key in e)
            for failure in e.get("availability_failures", []):
                assert set(failure) == {
                    "area",
                    "weighting",
                    "periods",
                    "used",
                    "failures_in_period",
                }
                for key in ("weighting", "periods", "failures_in_period"):
                    assert isinstance(failure[key], int) and failure[key] > 0
            if "performance_points" in e:
                assert isinstance(e["performance_points"], int) and e["performance_points"] >= 0
            for event in e.get("events", []):
                assert event["code"] in rates and Decimal(event["quantity"]) > 0


def test_kpis_are_well_formed(bundles):
    rules, dimensions = set(), set()
    for b in score_coefficient(bundles):
        kpis = b["contract"]["kpis"]
        assert sum(Decimal(k["max_points"]) for k in kpis) == 100, b["contract"]["code"]
        assert len({k["code"] for k in kpis}) == len(kpis)
        for k in kpis:
            rules.add(k["rule"])
            dimensions.add(k["dimension"])
            if k["rule"] == "manual":
                assert "direction" not in k and "target" not in k, k
                continue
            target = Decimal(k["target"])
            if k["rule"] == "proportional":
                floor = Decimal(k["floor"])
                assert floor < target if k["direction"] == "higher" else floor > target, k
            else:
                assert "floor" not in k
            if k["rule"] == "deduct_per_step":
                assert Decimal(k["step"]) > 0 and Decimal(k["points_per_step"]) > 0
                assert k.get("partial_step", "ceil") in {"ceil", "floor", "exact"}
            assert k["direction"] in {"higher", "lower"}
    assert rules == {"deduct_per_step", "proportional", "threshold", "manual"}
    assert dimensions == {"output", "effect", "management"}


def test_sector_kpis_are_the_expected_ones(bundles):
    expected = {
        "public_wifi": ["可用率", "接入速率", "认证成功率"],
        "flood_monitoring": ["站点在线率", "预警发布及时率", "上报延迟"],
        "smart_parking": ["泊位识别准确率", "诱导屏数据准确率"],
        "transit_payment": ["交易成功率", "清分结算及时率"],
        "data_platform": ["平台可用率", "接口响应时间", "数据质量合格率"],
        "e_government": ["网办率", "系统可用率", "满意度"],
    }
    for b in score_coefficient(bundles):
        names = " ".join(k["name"] for k in b["contract"]["kpis"])
        for word in expected[b["project"]["sector"]]:
            assert word in names, (b["contract"]["code"], word)


# --- milestones ---------------------------------------------------------------------------


def test_milestones(bundles):
    overdue = late = future = met = 0
    for b in bundles:
        milestones = b["contract"]["milestones"]
        assert 2 <= len(milestones) <= 4
        for m in milestones:
            due = datetime.date.fromisoformat(m["due_on"])
            if m["met_on"] is None:
                overdue += due < TODAY
                future += due >= TODAY
                continue
            met_on = datetime.date.fromisoformat(m["met_on"])
            assert met_on <= TODAY
            met += 1
            late += met_on > due
    assert overdue >= 2 and future >= 1 and late >= 1
    assert met > 2 * overdue


# --- evaluations --------------------------------------------------------------------------


@pytest.mark.parametrize("today", DATES, ids=str)
def test_evaluation_periods(today):
    for b in demo_bundles(today):
        c = b["contract"]
        frequency = c["frequency"]
        labels = [e["period"] for e in b["evaluations"]]
        assert all(LABEL_RE[frequency].match(label) for label in labels), labels
        assert len(set(labels)) == len(labels)
        assert len(labels) >= 2 * PERIODS_PER_YEAR[frequency], c["code"]

        bounds = [period_bounds(label) for label in labels]
        starts_on = datetime.date.fromisoformat(c["starts_on"])
        # contiguous from the contract start, every period closed
        assert bounds[0][0] == starts_on
        for (_, last), (first, _) in itertools.pairwise(bounds):
            assert first == last + datetime.timedelta(days=1)
        assert all(last < today for _, last in bounds)

        # the current period and the most recent closed period stay open, nothing else does
        current = label_of(today, frequency)
        latest_closed = label_of(period_bounds(current)[0] - datetime.timedelta(days=1), frequency)
        assert current not in labels and latest_closed not in labels
        assert period_bounds(latest_closed)[0] == bounds[-1][1] + datetime.timedelta(days=1)


@pytest.mark.parametrize("today", DATES, ids=str)
def test_every_evaluation_measures_every_kpi(today):
    for b in score_coefficient(demo_bundles(today)):
        kpis = {k["code"]: k for k in b["contract"]["kpis"]}
        for e in b["evaluations"]:
            assert set(e) == {"period", "measurements"}
            codes = [m["kpi"] for m in e["measurements"]]
            assert sorted(codes) == sorted(kpis), (b["contract"]["code"], e["period"])
            for m in e["measurements"]:
                kpi = kpis[m["kpi"]]
                if kpi["rule"] == "manual":
                    assert set(m) == {"kpi", "points"}
                    assert 0 <= Decimal(m["points"]) <= Decimal(kpi["max_points"])
                else:
                    assert set(m) == {"kpi", "value"}
                    assert Decimal(m["value"]) >= 0
                    if kpi["unit"] == "%":
                        assert Decimal(m["value"]) <= 100


def test_grades_spread_over_the_scale(bundles):
    grades = collections.Counter(
        grade(score) for scores in scores_by_contract(bundles).values() for score in scores
    )
    assert {"优", "良", "中"} <= set(grades), grades
    assert grades["差"] <= sum(grades.values()) * Decimal("0.1"), grades


def test_engine_grades_spread(bundles):
    grades = collections.Counter()
    for b in score_coefficient(bundles):
        c = b["contract"]
        for evaluation in b["evaluations"]:
            grades[engine.compute(c["mechanism"], c["kpis"], evaluation).grade] += 1
    assert len(set(grades) & {"优", "良", "中", "差"}) >= 3, grades


def test_bundles_pass_the_importers_validation(bundles):
    for b in bundles:
        assert list(validate_bundle(b)) == [], b["project"]["code"]


# --- determinism and serialisation --------------------------------------------------------


def test_deterministic(bundles):
    assert demo_bundles(TODAY) == demo_bundles(TODAY)
    assert demo_bundles(TODAY) == bundles  # the fixture was not mutated by other tests


def test_history_is_stable_when_today_moves_on(bundles):
    # a period's measurements depend on the contract and the period, not on the run date
    later = {b["contract"]["code"]: b for b in demo_bundles(TODAY + datetime.timedelta(days=40))}
    for b in bundles:
        again = {e["period"]: e for e in later[b["contract"]["code"]]["evaluations"]}
        for e in b["evaluations"]:
            if e["period"] in again:
                assert again[e["period"]] == e


def test_bundles_are_plain_json(bundles):
    def walk(value, path):
        assert not isinstance(value, float | Decimal), path
        if isinstance(value, dict):
            for key, item in value.items():
                assert isinstance(key, str), path
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        else:
            assert value is None or isinstance(value, str | int | bool), path

    for b in bundles:
        walk(b, b["project"]["code"])
        assert json.loads(json.dumps(b, ensure_ascii=False)) == b
    json.dumps(DEMO_USERS)
    json.dumps(AUDITOR_PARTY)


def test_no_internal_keys_leak(bundles):
    text = json.dumps(bundles, ensure_ascii=False)
    assert '"_' not in text
    assert demo_data.SEED not in text
