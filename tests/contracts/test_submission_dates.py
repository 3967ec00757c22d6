"""A period is submitted once it has ended (PERIOD_SUBMIT_DAYS_EARLY allows N days early); a
submission after the due date is accepted and recorded as late: shown to officials, in the
report's data and in the compliance flags."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.compliance import FlagCode, compliance_flags
from contracts.models import KPI, Contract, Measurement, Period
from contracts.selectors import periods_submitted_late
from contracts.services.approvals import ActionRefused
from contracts.services.measurements import (
    measurement_save_draft,
    measurement_submit,
    period_submit,
)
from contracts.services.periods import period_get_or_create
from reports.selectors import contract_report_document

pytestmark = pytest.mark.django_db

FIGURES = {"OUT-1": "98.5", "OUT-2": "96", "OUT-3": "70", "EFF-1": "91", "MGT-1": "14"}


def period_ending(people, ends_on, due_in_days: int = 15) -> Period:
    """cn-steps' 2026-Q3, moved to end on `ends_on`, with every figure as a draft."""
    period = period_get_or_create(contract=people.contract, label="2026-Q3")[0]
    Period.objects.filter(pk=period.pk).update(
        ends_on=ends_on,
        starts_on=ends_on - timedelta(days=90),
        due_on=ends_on + timedelta(days=due_in_days),
    )
    period.refresh_from_db()
    for code, figure in FIGURES.items():
        kpi = KPI.objects.get(code=code)
        field = "points" if kpi.rule == KPI.Rule.MANUAL else "value"
        measurement_save_draft(
            period=period, kpi=kpi, user=people.enterprise, source="portal",
            **{field: Decimal(figure)},
        )  # fmt: skip
    return period


def test_a_period_cannot_be_submitted_before_it_ends(people, english):
    # given a period that ends today: its drafts are kept
    today = timezone.localdate()
    period = period_ending(people, today)
    # then neither the portal's submit nor the API's per-KPI submit takes it yet
    with pytest.raises(ActionRefused, match="it can be submitted from"):
        period_submit(period=period, user=people.enterprise)
    kpi = KPI.objects.get(code="OUT-1")
    with pytest.raises(ActionRefused, match="it can be submitted from"):
        measurement_submit(
            period=period, kpi=kpi, user=people.enterprise, source="api", value=Decimal("99")
        )
    period.refresh_from_db()
    assert (period.state, period.submitted_at) == (Period.State.OPEN, None)
    assert not Measurement.objects.filter(period=period, state="submitted").exists()


def test_the_api_answers_409_before_the_period_ends(people):
    period = period_ending(people, timezone.localdate() + timedelta(days=3))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(people.enterprise)
    answer = client.post(
        "/api/v1/measurements/", {"period": period.pk, "kpi": "OUT-1", "value": "99"}, "json"
    )
    assert answer.status_code == 409
    assert "it can be submitted from" in answer.json()["detail"]


def test_a_setting_allows_submitting_some_days_early(people, settings):
    settings.PERIOD_SUBMIT_DAYS_EARLY = 3
    period = period_ending(people, timezone.localdate() + timedelta(days=2))
    period_submit(period=period, user=people.enterprise)
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED and not period.is_late


def test_a_submission_on_time_is_not_late(people):
    period = period_ending(people, timezone.localdate() - timedelta(days=1))
    period_submit(period=period, user=people.enterprise)
    period.refresh_from_db()
    assert period.submitted_at is not None and not period.is_late
    assert period not in periods_submitted_late()


def test_a_late_submission_is_accepted_and_recorded(people, client, settings):
    # given a period due yesterday
    today = timezone.localdate()
    period = period_ending(people, today - timedelta(days=16), due_in_days=15)
    # when the enterprise submits it today
    period_submit(period=period, user=people.enterprise)
    # then it is submitted, and late
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED and period.is_late
    assert list(periods_submitted_late()) == [period]
    # shown to officials in the period list (column and filter)
    client.force_login(people.preparer)
    changelist = reverse("admin:contracts_period_changelist")
    page = client.get(changelist + "?late=yes").content.decode()
    assert "2026-Q3" in page and "2026-Q2" not in page
    # in the compliance flags
    contract = Contract.objects.select_related("project").get()
    flags = compliance_flags(contracts=[contract], today=today).for_contract(contract)
    (late,) = [f for f in flags if f.code == FlagCode.LATE_SUBMISSIONS]
    assert "2026-Q3" in late.reason
    # and in the report's data (of the period with a payment: 2026-Q2, on time)
    document = contract_report_document(period=Period.objects.get(label="2026-Q2"), language="en")
    assert document["period"]["submitted_late"] is False
    assert "due_on" in document["period"] and "submitted_at" in document["period"]


def test_the_api_marks_a_period_submitted_once_every_kpi_is(people):
    # given a period that ended long ago with every KPI but one submitted through the API
    period = period_ending(people, timezone.localdate() - timedelta(days=40))
    Measurement.objects.filter(period=period).exclude(kpi__code="OUT-1").update(
        state="submitted", submitted_by=people.enterprise, submitted_at=timezone.now()
    )
    kpi = KPI.objects.get(code="OUT-1")
    # when the last one comes in
    measurement_submit(
        period=period, kpi=kpi, user=people.enterprise, source="api", value=Decimal("99")
    )
    # then the period is submitted, stamped, and late
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED and period.is_late


def test_the_portal_says_when_the_period_can_be_submitted(people, client):
    # given a period that ends in three days, its drafts saved
    period = period_ending(people, timezone.localdate() + timedelta(days=3))
    client.force_login(people.enterprise)
    # then its page offers the submit button disabled, with the date it opens
    page = client.get(reverse("portal:period", args=[period.pk])).content.decode()
    assert 'disabled aria-describedby="submit-refused"' in page
    assert "起方可提交" in page
    # and submitting anyway is refused with the same reason, the drafts kept
    response = client.post(reverse("portal:period", args=[period.pk]), {"submit": "1"})
    assert "起方可提交" in response.content.decode()
    period.refresh_from_db()
    assert period.state == Period.State.OPEN
