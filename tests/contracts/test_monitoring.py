"""Performance monitoring: each alert raising and not raising, the mechanism's own rules
only, the flags, the morning digest and the query budget.

cn-steps (quarterly, imported with 2026-Q2 accepted and computed: score 74, 中) gets earlier
quarters here, each with accepted figures for every KPI."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from contracts.compliance import FlagCode, compliance_flags
from contracts.models import Contract, Measurement, PaymentCalculation, Period
from contracts.monitoring import (
    BELOW_TARGET,
    FALLING_TREND,
    MISSING_FIGURE,
    NEAR_GRADE,
    contracts_monitoring,
)
from contracts.services.notifications import agencies_to_alert
from contracts.tasks import send_monitoring_alerts

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)
# cn-steps' 2026-Q2 figures: OUT-1 95.5 (target 98: missed), OUT-2 96 (95: met), OUT-3 120
# (lower, 60: missed), EFF-1 81 (90: missed), MGT-1 13 points (manual).
MET = {"OUT-1": "99", "OUT-2": "96", "OUT-3": "50", "EFF-1": "92", "MGT-1": "15"}
QUARTERS = {
    "2025-Q4": (date(2025, 10, 1), date(2025, 12, 31)),
    "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30)),
}


def add_period(contract: Contract, label: str, figures: dict, *, state="accepted") -> Period:
    starts, ends = QUARTERS[label]
    period = Period.objects.create(
        contract=contract,
        label=label,
        starts_on=starts,
        ends_on=ends,
        due_on=ends + timedelta(days=15),
        state=Period.State.SUBMITTED,
    )
    kpis = {k.code: k for k in contract.mechanism_versions.get().kpis.all()}
    for code, figure in figures.items():
        kpi = kpis[code]
        number = {"points" if kpi.rule == "manual" else "value": Decimal(figure)}
        Measurement.objects.create(period=period, kpi=kpi, state=state, source="api", **number)
    return period


def watch(contract: Contract, today: date = TODAY):
    return contracts_monitoring(contract_ids=[contract.pk], today=today)[contract.pk]


def alerts(contract: Contract, kind: str, today: date = TODAY) -> list:
    return [a for a in watch(contract, today).alerts if a.kind == kind]


def test_the_series_is_actual_against_target_over_the_last_periods(people):
    add_period(people.contract, "2026-Q1", MET)
    watched = watch(people.contract)
    assert watched.periods == ["2026-Q1", "2026-Q2"]
    out1 = next(s for s in watched.series if s.code == "OUT-1")
    assert [(p.actual, p.target, p.missed) for p in out1.points] == [
        (Decimal("99"), Decimal("98"), False),
        (Decimal("95.5"), Decimal("98"), True),
    ]
    manual = next(s for s in watched.series if s.code == "MGT-1")
    assert not manual.measured and [p.missed for p in manual.points] == [None, None]
    assert [(s.label, s.score) for s in watched.scores] == [("2026-Q2", Decimal("74"))]


def test_a_kpi_below_target_two_periods_in_a_row_raises_an_alert(people, english):
    # given OUT-1 missed in 2026-Q1 and 2026-Q2; EFF-1 met in Q1, missed in Q2
    add_period(people.contract, "2026-Q1", {**MET, "OUT-1": "97", "OUT-3": "70"})
    raised = alerts(people.contract, BELOW_TARGET)
    # then OUT-1 and OUT-3 (lower is better: 70, 120 above 60) raise; EFF-1 and OUT-2 not
    assert [a.kpi for a in raised] == ["OUT-1", "OUT-3"]
    assert "2026-Q1 97 (target 98); 2026-Q2 95.5 (target 98)" in raised[0].reason


def test_one_miss_or_a_met_period_between_raises_nothing(people, settings):
    # a single period: one miss is not two in a row
    assert alerts(people.contract, BELOW_TARGET) == []
    # a miss, then met, then a miss
    add_period(people.contract, "2025-Q4", {**MET, "OUT-1": "90"})
    add_period(people.contract, "2026-Q1", MET)
    assert [a.kpi for a in alerts(people.contract, BELOW_TARGET)] == []
    # the setting says how many
    settings.MONITOR_CONSECUTIVE_MISSES = 1
    assert [a.kpi for a in alerts(people.contract, BELOW_TARGET)] == ["OUT-1", "OUT-3", "EFF-1"]


def test_a_period_not_accepted_yet_is_left_out_of_the_run(people):
    add_period(people.contract, "2026-Q1", {**MET, "OUT-1": "97"})
    add_period(people.contract, "2026-Q3", {**MET, "OUT-1": "99"}, state="submitted")
    assert [a.kpi for a in alerts(people.contract, BELOW_TARGET)] == ["OUT-1"]


@pytest.mark.parametrize(
    ("score", "raised"),
    [("74", False), ("62.5", True), ("63", True), ("63.01", False), ("59", False), ("91", True)],
)
def test_a_score_within_3_points_of_its_grades_floor_raises_an_alert(people, score, raised):
    PaymentCalculation.objects.filter(pk=people.calculation.pk).update(score=Decimal(score))
    assert bool(alerts(people.contract, NEAR_GRADE)) is raised


def test_a_returned_payments_score_does_not_count(people):
    PaymentCalculation.objects.filter(pk=people.calculation.pk).update(
        score=Decimal("61"), state="returned"
    )
    assert alerts(people.contract, NEAR_GRADE) == []


def test_the_grade_margin_is_a_setting(people, settings):
    settings.MONITOR_GRADE_MARGIN = Decimal("15")
    assert [a.period for a in alerts(people.contract, NEAR_GRADE)] == ["2026-Q2"]


def test_a_closed_period_without_accepted_figures_raises_an_alert(people):
    # given 2026-Q3 (due 2026-10-15) with OUT-2 submitted only and EFF-1 missing
    figures = {k: v for k, v in MET.items() if k != "EFF-1"}
    period = add_period(people.contract, "2026-Q3", figures)
    Measurement.objects.filter(period=period, kpi__code="OUT-2").update(state="submitted")
    raised = alerts(people.contract, MISSING_FIGURE)
    assert [a.period for a in raised] == ["2026-Q3"]
    assert "OUT-2, EFF-1" in raised[0].reason
    # before its due date the period is still open to submissions: nothing raised
    assert alerts(people.contract, MISSING_FIGURE, today=date(2026, 10, 15)) == []


def test_a_deductions_contract_raises_only_what_its_mechanism_defines(example):
    from contracts.bundles import bundle_import

    contract = bundle_import(document=example("uk-deductions")).contract
    watched = watch(contract)
    assert watched.mechanism == "deductions"
    assert watched.series == [] and watched.alerts == []


def test_alerts_are_compliance_flags(people):
    add_period(people.contract, "2026-Q1", {**MET, "OUT-1": "97"})
    PaymentCalculation.objects.filter(pk=people.calculation.pk).update(score=Decimal("61"))
    contract = Contract.objects.select_related("project").get(pk=people.contract.pk)
    flags = compliance_flags(contracts=[contract], today=TODAY).contracts[contract.pk]
    codes = {f.code for f in flags}
    assert {FlagCode.KPI_BELOW_TARGET, FlagCode.NEAR_GRADE} <= codes
    assert FlagCode.KPI_FIGURE_MISSING not in codes


def test_the_morning_digest_tells_the_agencys_officials_once_a_day(people, english):
    add_period(people.contract, "2026-Q1", {**MET, "OUT-1": "97"})
    assert people.contract.government_party_id in agencies_to_alert(today=TODAY)
    send_monitoring_alerts.apply(args=[people.contract.government_party_id, "2026-12-02"]).get()
    send_monitoring_alerts.apply(args=[people.contract.government_party_id, "2026-12-02"]).get()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "approver2@example.gov.cn", "approver@example.gov.cn", "preparer@example.gov.cn",
    ]  # fmt: skip
    assert "FS-FLOOD-2017-01" in mail.outbox[0].body and "OUT-1" in mail.outbox[0].body


def test_no_digest_without_alerts(people):
    # the one period's score is 74 (中, 14 above 60), one miss each: nothing to say
    send_monitoring_alerts.apply(args=[people.contract.government_party_id, "2026-12-02"]).get()
    assert mail.outbox == []


@pytest.mark.parametrize("extra", [0, 3])
def test_monitoring_reads_a_fixed_number_of_queries(
    people, example, extra, django_assert_num_queries
):
    from contracts.bundles import bundle_import

    contracts = [
        people.contract.pk,
        bundle_import(document=example("cn-score-coefficient")).contract.pk,
    ]
    for label in list(QUARTERS)[:extra]:
        add_period(people.contract, label, MET)
    with django_assert_num_queries(5):
        contracts_monitoring(contract_ids=contracts, today=TODAY)


def test_a_kpi_worse_in_each_of_its_last_three_figures_raises_a_falling_trend(people, english):
    # given OUT-2 (higher is better, target 95) on target but falling: 99 → 97 → 96
    add_period(people.contract, "2025-Q4", {**MET, "OUT-2": "99", "OUT-3": "40"})
    add_period(people.contract, "2026-Q1", {**MET, "OUT-2": "97", "OUT-3": "45"})
    raised = alerts(people.contract, FALLING_TREND)
    # then OUT-2 raises, and OUT-3 (lower is better: 40 → 45 → 120) too; OUT-1 (99, 99,
    # 95.5) fell once only, and the manual KPI has no direction
    assert [a.kpi for a in raised] == ["OUT-2", "OUT-3"]
    assert "2025-Q4 99 → 2026-Q1 97 → 2026-Q2 96" in raised[0].reason
    assert FlagCode.KPI_FALLING in {
        f.code
        for f in compliance_flags(contracts=[people.contract], today=TODAY).contracts[
            people.contract.pk
        ]
    }


def test_a_flat_or_rising_kpi_or_too_few_figures_raise_no_trend(people, settings):
    add_period(people.contract, "2026-Q1", {**MET, "OUT-2": "97"})
    assert alerts(people.contract, FALLING_TREND) == []  # two figures: too few
    add_period(people.contract, "2025-Q4", {**MET, "OUT-2": "97"})
    assert "OUT-2" not in [a.kpi for a in alerts(people.contract, FALLING_TREND)]  # 97, 97, 96
    settings.MONITOR_TREND_PERIODS = 2
    assert "OUT-2" in [a.kpi for a in alerts(people.contract, FALLING_TREND)]  # 97 → 96
