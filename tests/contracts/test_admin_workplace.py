"""The admin as the officials' workplace: scoped pages, the payment page, buttons, bulk actions."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from contracts.models import Decision, Evidence, Measurement, PaymentCalculation, Period
from contracts.services.approvals import payment_prepare
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from portfolio.models import Party
from tests.contracts.conftest import person

pytestmark = pytest.mark.django_db
State = PaymentCalculation.State


def evidence_of(measurement, user, name: str) -> Evidence:
    content = b"%PDF-1.4 test"
    return Evidence.objects.create(
        measurement=measurement,
        file=ContentFile(content, name="x"),
        original_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type="application/pdf",
        uploaded_by=user,
    )


def page_url(calculation) -> str:
    return reverse("admin:contracts_paymentcalculation_change", args=[calculation.pk])


def decide_url(calculation, action: str) -> str:
    return reverse("admin:payment_decide", args=[calculation.pk, action])


def test_the_payment_page_shows_what_to_check_and_the_allowed_buttons(client, people):
    # given evidence behind one KPI
    measurement = Measurement.objects.get(kpi__code="OUT-1")
    evidence_of(measurement, people.enterprise, "在线率报表.pdf")
    client.force_login(people.preparer)

    page = client.get(page_url(people.calculation)).content.decode()

    assert "内涝监测站点在线率" in page and "95.5" in page  # KPI table: name and actual
    assert "在线率报表.pdf" in page  # evidence, with its download link
    assert "3,552,000.00" in page and "198,000.00" in page  # amounts, grouped
    assert decide_url(people.calculation, "prepare") in page
    assert decide_url(people.calculation, "approve") not in page


def test_an_official_of_another_agency_gets_404(client, people):
    client.force_login(people.other_official)
    assert client.get(page_url(people.calculation)).status_code == 404
    response = client.post(decide_url(people.calculation, "prepare"))
    assert response.status_code == 404
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.COMPUTED


def test_enterprise_staff_do_not_get_into_the_admin(client, people):
    client.force_login(people.enterprise)
    response = client.get(page_url(people.calculation))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_four_eyes_is_refused_through_the_admin_button(client, people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    people.preparer.role = "approver"
    people.preparer.save()
    client.force_login(people.preparer)

    response = client.post(
        decide_url(people.calculation, "approve"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "another official must approve" in response.content.decode()
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.PREPARED


def test_buttons_prepare_then_approve(client, people):
    client.force_login(people.preparer)
    client.post(decide_url(people.calculation, "prepare"))
    client.force_login(people.approver)
    client.post(decide_url(people.calculation, "approve"))
    people.calculation.refresh_from_db()
    assert people.calculation.state == State.APPROVED
    assert people.calculation.period.state == Period.State.LOCKED


def test_bulk_approve_applies_the_checks_row_by_row(client):
    # given three payments of one agency: one prepared by A, one prepared by B, one computed
    synthetic_portfolio_create(contracts=3)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    agency = Party.objects.get(kind="government")
    preparer = person("p", "preparer", agency)
    approver_a = person("a", "approver", agency)
    first, second, third = PaymentCalculation.objects.order_by("pk")
    payment_prepare(calculation=first, user=preparer)
    payment_prepare(calculation=second, user=preparer)
    PaymentCalculation.objects.filter(pk=second.pk).update(prepared_by=approver_a)  # A prepared it
    client.force_login(approver_a)

    # when A approves all three at once (from the list of all payments: it opens on A's queue)
    response = client.post(
        reverse("admin:contracts_paymentcalculation_changelist") + "?awaiting=all",
        {"action": "approve_selected", "_selected_action": [first.pk, second.pk, third.pk]},
        follow=True,
    )

    # then only the first is approved, and the page says why the others were not
    states = dict(PaymentCalculation.objects.values_list("pk", "state"))
    assert states == {first.pk: State.APPROVED, second.pk: State.PREPARED, third.pk: State.COMPUTED}
    page = response.content.decode()
    assert "须由另一名审批人审批" in page  # four eyes, in the default language
    assert page.count('<li class="error">') == 2  # and the computed one, not prepared yet


def test_the_queue_shows_what_awaits_me(client, people):
    client.force_login(people.approver)
    url = reverse("admin:contracts_paymentcalculation_changelist") + "?awaiting=me"
    assert "FS-FLOOD-2017-01" not in client.get(url).content.decode()
    payment_prepare(calculation=people.calculation, user=people.preparer)
    assert "FS-FLOOD-2017-01" in client.get(url).content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_the_payment_queue_takes_the_same_queries_for_5_or_50_rows(
    client, rows, django_assert_max_num_queries
):
    synthetic_portfolio_create(contracts=rows)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    client.force_login(person("p", "preparer", Party.objects.get(kind="government")))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:contracts_paymentcalculation_changelist"))
    assert response.content.decode().count("SYN-") >= rows


def test_officials_accept_and_return_measurements_from_the_list(client, people):
    Measurement.objects.update(state=Measurement.State.SUBMITTED)
    out1, out2 = Measurement.objects.filter(kpi__code__in=["OUT-1", "OUT-2"]).order_by(
        "kpi__position"
    )
    client.force_login(people.preparer)
    url = reverse("admin:contracts_measurement_changelist")

    client.post(url, {"action": "accept_selected", "_selected_action": [out1.pk]})
    refused = client.post(
        url, {"action": "return_selected", "_selected_action": [out2.pk], "reason": ""}, follow=True
    )
    client.post(
        url, {"action": "return_selected", "_selected_action": [out2.pk], "reason": "缺少佐证"}
    )

    out1.refresh_from_db()
    out2.refresh_from_db()
    assert (out1.state, out1.reviewed_by) == (Measurement.State.ACCEPTED, people.preparer)
    assert (out2.state, out2.review_reason) == (Measurement.State.RETURNED, "缺少佐证")
    assert "reason" in refused.content.decode().lower() or "原因" in refused.content.decode()
    assert not Decision.objects.exists()  # measurement reviews are stamped on the revision


def test_evidence_downloads_only_inside_the_scope_as_an_attachment(client, people):
    measurement = Measurement.objects.get(kpi__code="OUT-1")
    evidence = evidence_of(measurement, people.enterprise, "报表.pdf")
    url = reverse("admin:contracts_evidence_download", args=[evidence.pk])

    client.force_login(people.other_official)
    assert client.get(url).status_code == 404
    client.force_login(people.approver)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
