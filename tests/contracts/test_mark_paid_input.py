"""Marking a payment paid: a payment date that exists, from 2000 to today, and a reference the
column holds — on the API (400 on the field) and in the admin (an error, nothing changed),
never a 500 (#14 findings 8 and 10: `paid_on` 2026-02-30 answered 500 in the admin;
9999-12-31 and a 500-character reference were accepted)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import PaymentCalculation
from contracts.services.approvals import (
    ActionRefused,
    payment_approve,
    payment_mark_paid,
    payment_prepare,
)

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()
BAD = [
    ({"reference": "GK-1", "paid_on": "2026-02-30"}, "paid_on"),
    ({"reference": "GK-1", "paid_on": "9999-12-31"}, "paid_on"),
    ({"reference": "GK-1", "paid_on": TOMORROW}, "paid_on"),
    ({"reference": "GK-1", "paid_on": "1999-12-31"}, "paid_on"),
    ({"reference": "R" * 500, "paid_on": "2026-08-01"}, "reference"),
]


@pytest.fixture
def approved(people):
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    return payment_approve(calculation=calculation, user=people.approver)


@pytest.mark.parametrize("body, field", BAD)
def test_the_api_answers_400_on_the_field(people, approved, body, field):
    client = APIClient()
    client.force_authenticate(people.approver)
    response = client.post(f"/api/v1/payments/{approved.pk}/mark-paid/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    approved.refresh_from_db()
    assert approved.state == PaymentCalculation.State.APPROVED


@pytest.mark.parametrize("body, field", BAD)
def test_the_admin_says_why_and_changes_nothing(client, people, approved, body, field):
    client.force_login(people.approver)
    url = reverse("admin:payment_decide", args=[approved.pk, "mark_paid"])
    response = client.post(url, body, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(("Paid on" if field == "paid_on" else "Payment reference") in m for m in shown)
    approved.refresh_from_db()
    assert approved.state == PaymentCalculation.State.APPROVED


def test_the_service_refuses_a_future_date_and_a_long_reference(people, approved):
    future = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ActionRefused):
        payment_mark_paid(calculation=approved, user=people.approver, reference="G", paid_on=future)
    with pytest.raises(ActionRefused):
        payment_mark_paid(
            calculation=approved, user=people.approver, reference="R" * 101,
            paid_on=timezone.localdate(),
        )  # fmt: skip


def test_today_is_a_payment_date(client, people, approved):
    client.force_login(people.approver)
    url = reverse("admin:payment_decide", args=[approved.pk, "mark_paid"])
    client.post(url, {"reference": "GK-9", "paid_on": timezone.localdate().isoformat()})
    approved.refresh_from_db()
    assert approved.state == PaymentCalculation.State.PAID and approved.paid_reference == "GK-9"
