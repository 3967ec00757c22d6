"""Evidence review: accept, return with a reason, resubmit as a new revision."""

from decimal import Decimal

import pytest
from django.core import mail

from contracts.models import KPI, Measurement, Period
from contracts.services.approvals import ActionRefused, payment_approve, payment_prepare
from contracts.services.measurements import (
    measurement_accept,
    measurement_return,
    measurement_submit,
)
from contracts.services.notifications import notify_measurement_returned

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(people):
    """OUT-1 of the open period, as the enterprise submitted it."""
    Period.objects.update(state=Period.State.OPEN)
    Measurement.objects.filter(kpi__code="OUT-1").delete()
    return measurement_submit(
        period=Period.objects.get(),
        kpi=KPI.objects.get(code="OUT-1"),
        user=people.enterprise,
        source="portal",
        value=Decimal("96.5"),
    )


def test_an_official_accepts_and_the_decision_is_stamped(people, submitted):
    measurement = measurement_accept(measurement=submitted, user=people.preparer)
    assert (measurement.state, measurement.reviewed_by) == ("accepted", people.preparer)
    assert measurement.reviewed_at is not None
    assert measurement.submitted_by == people.enterprise


def test_a_return_needs_a_reason_and_tells_the_enterprise(people, submitted):
    with pytest.raises(ActionRefused):
        measurement_return(measurement=submitted, user=people.preparer, reason=" ")

    measurement_return(measurement=submitted, user=people.preparer, reason="缺少第三方检测报告")
    notify_measurement_returned(measurement_id=submitted.pk)

    assert mail.outbox[0].to == ["company@example.gov.cn"]
    assert "缺少第三方检测报告" in mail.outbox[0].body


def test_resubmitting_a_returned_value_makes_a_new_revision(people, submitted):
    # given a returned measurement
    measurement_return(measurement=submitted, user=people.approver, reason="数值与报表不符")
    # when the enterprise resubmits
    second = measurement_submit(
        period=submitted.period, kpi=submitted.kpi, user=people.enterprise, source="api",
        value=Decimal("97.1"),
    )  # fmt: skip
    # then the first revision keeps its submitter, value and decision
    first = Measurement.objects.get(pk=submitted.pk)
    assert (first.is_current, first.value, first.state) == (False, Decimal("96.5"), "returned")
    assert (first.submitted_by, first.reviewed_by) == (people.enterprise, people.approver)
    assert (second.revision, second.is_current, second.state) == (2, True, "submitted")


def test_others_cannot_submit_or_review(people, submitted):
    with pytest.raises(ActionRefused):
        measurement_submit(
            period=submitted.period, kpi=submitted.kpi, user=people.other_enterprise,
            source="api", value=Decimal("1"),
        )  # fmt: skip
    with pytest.raises(ActionRefused):
        measurement_accept(measurement=submitted, user=people.other_official)
    with pytest.raises(ActionRefused):
        measurement_accept(measurement=submitted, user=people.enterprise)


def test_a_locked_period_refuses_reviews(people, english):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    measurement = Measurement.objects.get(kpi__code="OUT-1")
    Measurement.objects.filter(pk=measurement.pk).update(state="submitted")
    with pytest.raises(ActionRefused, match="locked"):
        measurement_accept(measurement=measurement, user=people.preparer)
