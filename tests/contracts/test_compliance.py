"""Compliance flags: each one raised by a case that breaks its rule, and not by one that keeps it.

cn-steps (佛山, quarterly, 3,750,000 a quarter) has a fixed availability fee (0% linked) and
its one milestone met; cn-score-coefficient (长沙, annual) links exactly 30% of its
availability fee and has an unmet milestone due in 2022."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.bundles import bundle_import
from contracts.compliance import FlagCode, compliance_flags
from contracts.engine.terms import availability_linked_share
from contracts.models import Contract, Measurement, PaymentCalculation
from portfolio.services import city_upsert

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def codes(contract: Contract, today: date = TODAY) -> set[str]:
    contract = Contract.objects.select_related("project").get(pk=contract.pk)
    flags = compliance_flags(contracts=[contract], today=today)
    return {f.code for f in flags.for_contract(contract)}


def reasons(contract: Contract, code: FlagCode) -> list[str]:
    contract = Contract.objects.select_related("project").get(pk=contract.pk)
    flags = compliance_flags(contracts=[contract], today=TODAY).for_contract(contract)
    return [f.reason for f in flags if f.code == code]


@pytest.fixture
def score_coefficient(example):
    return bundle_import(document=example("cn-score-coefficient")).contract


def test_an_availability_fee_not_linked_to_performance_is_flagged(people):
    # given cn-steps: 2,100,000 availability fee, all of it fixed
    # when / then
    assert FlagCode.LINKED_SHARE in codes(people.contract)
    assert "0%" in reasons(people.contract, FlagCode.LINKED_SHARE)[0]


def test_an_availability_fee_linked_at_30_percent_is_not_flagged(score_coefficient):
    # given 3,600,000 of 12,000,000 linked: exactly the 30% 财办金〔2017〕92号 asks for
    # when / then
    assert FlagCode.LINKED_SHARE not in codes(score_coefficient)


def test_deductions_link_the_share_they_can_deduct(example):
    mechanism = example("uk-deductions")["contract"]["mechanism"]
    assert availability_linked_share(mechanism) == 1
    assert availability_linked_share({**mechanism, "cap_fraction": "0.2"}) == Decimal("0.2")


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ("100000000", {FlagCode.CITY_OVER_CEILING}),  # 15,000,000 a year: 15%
        ("200000000", {FlagCode.CITY_OVER_WARNING}),  # 7.5%
        ("400000000", set()),  # 3.75%
    ],
)
def test_a_city_over_the_5_or_10_percent_line_is_flagged(people, budget, expected):
    # given the city's general public budget for 2026
    city = people.contract.project.city
    city_upsert(name=city.name, budgets={2026: Decimal(budget)})
    # when
    found = codes(people.contract) & {FlagCode.CITY_OVER_CEILING, FlagCode.CITY_OVER_WARNING}
    # then
    assert found == expected


def test_a_city_without_a_budget_is_not_flagged(people):
    assert not codes(people.contract) & {FlagCode.CITY_OVER_CEILING, FlagCode.CITY_OVER_WARNING}


def test_a_contract_in_operation_evaluated_more_than_a_year_ago_is_flagged(people):
    # given its only calculation computed two years ago
    PaymentCalculation.objects.update(computed_at=timezone.now() - timedelta(days=730))
    # when / then
    assert FlagCode.NO_EVALUATION in codes(people.contract, today=timezone.localdate())


def test_a_contract_in_operation_never_evaluated_is_flagged(score_coefficient):
    assert FlagCode.NO_EVALUATION in codes(score_coefficient)


def test_a_contract_evaluated_this_year_is_not_flagged(people):
    # given its calculation computed today
    # when / then
    assert FlagCode.NO_EVALUATION not in codes(people.contract, today=timezone.localdate())


def test_a_contract_not_yet_a_year_in_operation_is_not_flagged(score_coefficient):
    # given a contract that started on 2017-01-01, seen in mid-2017
    assert FlagCode.NO_EVALUATION not in codes(score_coefficient, today=date(2017, 6, 30))


def test_an_unmet_milestone_past_its_due_date_is_flagged(score_coefficient):
    # given M3 中期评估 due 2022-12-31, not met
    # when / then
    assert FlagCode.OVERDUE_MILESTONES in codes(score_coefficient)
    assert "M3" in reasons(score_coefficient, FlagCode.OVERDUE_MILESTONES)[0]
    # and not before it is due
    assert FlagCode.OVERDUE_MILESTONES not in codes(score_coefficient, today=date(2022, 12, 31))


def test_met_milestones_are_not_flagged(people):
    assert FlagCode.OVERDUE_MILESTONES not in codes(people.contract)


@pytest.mark.parametrize(("days_ago", "flagged"), [(16, True), (15, False), (3, False)])
def test_measurements_waiting_for_review_over_15_days_are_flagged(people, days_ago, flagged):
    # given the period's measurements submitted `days_ago` and not reviewed
    submitted = timezone.make_aware(
        timezone.datetime.combine(TODAY - timedelta(days=days_ago), timezone.datetime.min.time())
    )
    Measurement.objects.update(state=Measurement.State.SUBMITTED, submitted_at=submitted)
    # when / then
    assert (FlagCode.REVIEW_WAITING in codes(people.contract)) is flagged


def test_reviewed_measurements_are_not_flagged(people):
    # given accepted measurements submitted long ago
    Measurement.objects.update(submitted_at=timezone.now() - timedelta(days=90))
    assert FlagCode.REVIEW_WAITING not in codes(people.contract)


def test_flags_have_chinese_labels_by_default(people):
    flag = compliance_flags(
        contracts=[Contract.objects.select_related("project").get()], today=TODAY
    ).contracts[people.contract.pk][0]
    assert flag.label == "可用性付费绩效挂钩不足"
