"""API input checked against what the database holds (issue 14, findings 3 and 10): KPI
figures within the columns, KPI codes in their normal form, the payment reference within
its column on every backend (SQLite does not enforce max_length)."""

import pytest
from django.utils import timezone

from contracts.models import Measurement, PaymentCalculation, Period
from contracts.services.approvals import ActionRefused, payment_mark_paid

pytestmark = pytest.mark.django_db


def open_period() -> Period:
    period = Period.objects.get()
    period.state = Period.State.OPEN
    period.save(update_fields=["state"])
    period.measurements.filter(kpi__code="OUT-1").delete()
    return period


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e999999999", "20"),
        ("9" * 40, "20"),
        ("1e30", "20"),
        ("1e13", "10^12"),  # within the column, beyond any KPI's sane range
        ("1e-999999", ""),
        ("NaN", ""),
        ("Infinity", ""),
    ],
)
def test_a_figure_the_columns_cannot_hold_answers_400_on_its_field(people, api, value, reason):
    period = open_period()
    before = Measurement.objects.count()

    response = api(people.enterprise).post(
        "/api/v1/measurements/", {"period": period.pk, "kpi": "OUT-1", "value": value}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["value"]
    assert reason in response.json()["value"][0]
    assert Measurement.objects.count() == before


def test_a_kpi_code_is_read_in_its_normal_form(people, api):
    period = open_period()
    response = api(people.enterprise).post(
        "/api/v1/measurements/", {"period": period.pk, "kpi": "ＯＵＴ-1 ", "value": "97.5"}
    )
    assert response.status_code == 201
    assert response.json()["kpi"] == "OUT-1"


def test_a_kpi_code_with_a_format_character_is_refused(people, api):
    period = open_period()
    response = api(people.enterprise).post(
        "/api/v1/measurements/",
        {"period": period.pk, "kpi": "OUT-1\u200b", "value": "97.5"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {
        "kpi": ["must not contain U+200B (control, format or space characters)"]
    }


def approved(people) -> PaymentCalculation:
    now = timezone.now()
    PaymentCalculation.objects.update(
        state="approved",
        prepared_by=people.preparer,
        prepared_at=now,
        approved_by=people.approver,
        approved_at=now,
    )
    return PaymentCalculation.objects.get()


def test_a_payment_reference_longer_than_its_column_is_refused(people, api):
    calculation = approved(people)
    response = api(people.approver).post(
        f"/api/v1/payments/{calculation.pk}/mark-paid/",
        {"reference": "R" * 500, "paid_on": "2026-08-01"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reference"]
    # the admin's button calls the service, which refuses it too (SQLite would store it)
    with pytest.raises(ActionRefused):
        payment_mark_paid(
            calculation=calculation,
            user=people.approver,
            reference="R" * 500,
            paid_on=timezone.localdate(),
        )
    calculation.refresh_from_db()
    assert (calculation.state, calculation.paid_reference) == ("approved", "")
