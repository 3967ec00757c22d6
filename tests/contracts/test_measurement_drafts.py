"""Drafts and period submission: the enterprise keeps figures as drafts, then submits the
period at once; after that only returned items change, each correction a new revision."""

from decimal import Decimal

import pytest

from contracts.models import KPI, Measurement, Period
from contracts.services.approvals import ActionRefused
from contracts.services.measurements import (
    measurement_return,
    measurement_save_draft,
    measurement_submit,
    period_submit,
)
from contracts.services.periods import period_get_or_create

pytestmark = pytest.mark.django_db

FIGURES = {"OUT-1": "98.5", "OUT-2": "96", "OUT-3": "70", "EFF-1": "91", "MGT-1": "14"}


@pytest.fixture
def period(people):
    """cn-steps' next quarter, open and empty."""
    return period_get_or_create(contract=people.contract, label="2026-Q3")[0]


def draft(period, user, code: str, figure: str) -> Measurement:
    kpi = KPI.objects.get(code=code)
    field = "points" if kpi.rule == KPI.Rule.MANUAL else "value"
    return measurement_save_draft(
        period=period, kpi=kpi, user=user, source="portal", **{field: Decimal(figure)}
    )


def draft_all(period, user) -> None:
    for code, figure in FIGURES.items():
        draft(period, user, code, figure)


def test_a_draft_is_updated_in_place_until_the_period_is_submitted(people, period):
    # given a draft
    first = draft(period, people.enterprise, "OUT-1", "97")
    # when the enterprise changes it
    second = draft(period, people.enterprise, "OUT-1", "98.5")
    # then it is the same row, still a draft, with no submitter yet
    assert second.pk == first.pk
    assert (second.revision, second.state, second.value) == (1, "draft", Decimal("98.5"))
    assert second.submitted_by is None


def test_submitting_the_period_submits_every_draft(people, period):
    # given a draft for every KPI
    draft_all(period, people.enterprise)
    # when the enterprise submits the period
    period_submit(period=period, user=people.enterprise)
    # then every item is submitted by them and the period awaits review
    current = Measurement.objects.filter(period=period, is_current=True)
    assert {m.state for m in current} == {"submitted"}
    assert {m.submitted_by for m in current} == {people.enterprise}
    assert Period.objects.get(pk=period.pk).state == "submitted"


def test_a_period_lacking_figures_is_not_submitted(people, period, english):
    draft(period, people.enterprise, "OUT-1", "98.5")
    with pytest.raises(ActionRefused, match="missing for OUT-2, OUT-3, EFF-1, MGT-1"):
        period_submit(period=period, user=people.enterprise)
    assert Period.objects.get(pk=period.pk).state == "open"
    assert Measurement.objects.get(period=period).state == "draft"


def test_after_submission_only_returned_items_change(people, period, english):
    # given a submitted period with one item returned
    draft_all(period, people.enterprise)
    period_submit(period=period, user=people.enterprise)
    out1 = Measurement.objects.get(period=period, kpi__code="OUT-1")
    measurement_return(measurement=out1, user=people.preparer, reason="缺少检测报告")

    # then a submitted item cannot change
    with pytest.raises(ActionRefused, match="not open"):
        draft(period, people.enterprise, "OUT-2", "97")
    # nor can the period be submitted before the returned item is corrected
    with pytest.raises(ActionRefused, match="returned items first: OUT-1"):
        period_submit(period=period, user=people.enterprise)

    # when the enterprise corrects the returned item and submits again
    correction = draft(period, people.enterprise, "OUT-1", "98.1")
    period_submit(period=period, user=people.enterprise)

    # then the correction is revision 2, submitted; the returned one stays as it was
    revisions = list(Measurement.objects.filter(period=period, kpi__code="OUT-1"))
    assert [(m.revision, m.is_current, m.state) for m in revisions] == [
        (1, False, "returned"),
        (2, True, "submitted"),
    ]
    assert revisions[0].review_reason == "缺少检测报告"
    assert revisions[1].pk == correction.pk


def test_figures_must_fit_the_kpi(people, period, english):
    with pytest.raises(ActionRefused, match="between 0 and 15"):
        draft(period, people.enterprise, "MGT-1", "16")
    with pytest.raises(ActionRefused, match="takes points"):
        measurement_submit(
            period=period, kpi=KPI.objects.get(code="MGT-1"), user=people.enterprise,
            source="api", value=Decimal("10"),
        )  # fmt: skip
    assert not Measurement.objects.filter(period=period).exists()


def test_only_the_contracts_enterprise_saves_drafts_or_submits(people, period):
    for user in (people.other_enterprise, people.preparer, people.auditor):
        with pytest.raises(ActionRefused):
            draft(period, user, "OUT-1", "98")
        with pytest.raises(ActionRefused):
            period_submit(period=period, user=user)
    assert not Measurement.objects.filter(period=period).exists()


def test_the_api_submission_takes_over_a_portal_draft(people, period):
    # given a draft saved in the portal
    saved = draft(period, people.enterprise, "OUT-1", "97")
    # when the API submits the same KPI
    submitted = measurement_submit(
        period=period, kpi=saved.kpi, user=people.enterprise, source="api", value=Decimal("98")
    )
    # then the draft became the submission
    assert (submitted.pk, submitted.state, submitted.revision) == (saved.pk, "submitted", 1)
