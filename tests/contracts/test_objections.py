"""Objections (异议复核): lodged by the company within the working-day window, decided by
another official of the agency, holding up the payment while open (service, admin, API)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts import workflow
from contracts.models import Decision, Measurement, Objection, PaymentAdjustment
from contracts.selectors import payments_awaiting
from contracts.services.approvals import (
    ActionRefused,
    adjustment_approve,
    payment_approve,
    payment_prepare,
)
from contracts.services.objections import (
    ObjectionInputError,
    objection_accept,
    objection_add_evidence,
    objection_lodge,
    objection_uphold,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def lodge(people, subject=None, **kwargs):
    return objection_lodge(
        subject=subject or people.calculation,
        user=people.enterprise,
        reason="The outage of 3 May was the grid's, not ours.",
        **kwargs,
    )


def test_the_company_objects_and_the_payment_waits(people, english, client):
    # given a computed payment, shown to the company today
    calculation = people.calculation
    # when the company objects to a deduction line
    objection = lodge(people, item="OUT-1")
    # then it is open, with the window's last day five working days on
    assert objection.state == Objection.State.OPEN
    assert objection.window_closes_on == workflow.objection_window(calculation).day
    # and the preparer may not prepare: the service says which objection holds it up
    with pytest.raises(ActionRefused, match=rf"Objection #{objection.pk}, lodged on .* is open"):
        payment_prepare(calculation=calculation, user=people.preparer)
    assert "prepare" not in workflow.allowed_actions(calculation, people.preparer)
    assert not payments_awaiting(user=people.preparer).exists()
    # the API answers 409 naming it, and lists no prepare action
    answer = api(people.preparer).post(f"/api/v1/payments/{calculation.pk}/prepare/")
    assert answer.status_code == 409
    assert f"Objection #{objection.pk}" in answer.json()["detail"]
    assert (
        "prepare"
        not in api(people.preparer).get(f"/api/v1/payments/{calculation.pk}/").json()["actions"]
    )
    # the admin shows no prepare button
    client.force_login(people.preparer)
    page = client.get(
        reverse("admin:contracts_paymentcalculation_change", args=[calculation.pk])
    ).content.decode()
    assert reverse("admin:payment_decide", args=[calculation.pk, "prepare"]) not in page


def test_an_open_objection_holds_up_the_approval_too(people, english):
    # given a prepared payment the company objects to
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    objection = lodge(people)
    # then the approver may not approve it until the objection is decided
    with pytest.raises(ActionRefused, match=rf"Objection #{objection.pk}"):
        payment_approve(calculation=calculation, user=people.approver)
    answer = api(people.approver).post(f"/api/v1/payments/{calculation.pk}/approve/")
    assert answer.status_code == 409 and f"#{objection.pk}" in answer.json()["detail"]
    # when an official other than the preparer upholds it
    objection_uphold(objection=objection, user=people.approver, reason="The log shows our outage.")
    # then the payment goes on, and the decision is kept with its reason
    assert payment_approve(calculation=calculation, user=people.approver).state == "approved"
    decision = Decision.objects.get(action="uphold_objection")
    assert decision.user == people.approver and f"#{objection.pk}" in decision.reason
    objection.refresh_from_db()
    assert objection.state == "upheld" and objection.decided_at is not None


def test_four_eyes_the_preparer_does_not_decide_on_their_own_preparation(people, english):
    # given a payment prepared by the preparer, then objected to
    payment_prepare(calculation=people.calculation, user=people.preparer)
    objection = lodge(people)
    assert objection.contested_official == people.preparer
    # then the preparer may neither uphold nor accept it
    for decide in (objection_uphold, objection_accept):
        with pytest.raises(ActionRefused, match="another official must decide it"):
            decide(objection=objection, user=people.preparer, reason="It is right.")
    assert workflow.allowed_actions(objection, people.preparer) == []
    assert workflow.allowed_actions(objection, people.approver) == ["uphold", "accept"]
    # nor may an official of another agency, or the company itself
    with pytest.raises(ActionRefused, match="another agency"):
        objection_uphold(objection=objection, user=people.other_official, reason="x")
    with pytest.raises(ActionRefused, match="Your role may not do this"):
        objection_uphold(objection=objection, user=people.enterprise, reason="x")
    # and a decision needs a reason
    with pytest.raises(ActionRefused, match="Say why the figure stands"):
        objection_uphold(objection=objection, user=people.approver, reason=" ")


def test_a_computed_payment_objection_needs_no_other_official(people, english):
    # given a payment nobody prepared yet: nobody's own work is contested
    objection = lodge(people)
    assert objection.contested_official is None
    assert workflow.allowed_actions(objection, people.preparer) == ["uphold", "accept"]


def test_only_the_contracts_enterprise_lodges(people, english):
    for user in (people.other_enterprise, people.preparer, people.auditor):
        with pytest.raises(ActionRefused):
            objection_lodge(subject=people.calculation, user=user, reason="No.")
    with pytest.raises(ActionRefused, match="Say why you object"):
        objection_lodge(subject=people.calculation, user=people.enterprise, reason="")
    assert not Objection.objects.exists()


def test_one_open_objection_per_figure(people, english):
    first = lodge(people)
    with pytest.raises(ActionRefused, match=rf"Objection #{first.pk} against this figure"):
        lodge(people)
    assert Objection.objects.count() == 1


def test_a_late_objection_is_refused_with_the_date_the_window_closed(people, english):
    # given a payment computed on Wednesday 30 September 2026 (before Golden Week)
    shown = datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    type(people.calculation).objects.filter(pk=people.calculation.pk).update(computed_at=shown)
    # when the company objects in December
    with pytest.raises(ActionRefused) as refused:
        lodge(people)
    # then the refusal names the day the window closed: 8, 9, 10 (make-up Saturday), 12, 13 Oct
    assert "The objection window closed on Oct. 13, 2026" in str(refused.value)
    assert "shown on Sept. 30, 2026" in str(refused.value)
    answer = api(people.enterprise).post(
        "/api/v1/objections/", {"calculation": people.calculation.pk, "reason": "late"}
    )
    assert answer.status_code == 409
    assert "Oct. 13, 2026" in answer.json()["detail"]


def test_accepting_an_objection_to_a_prepared_payment_returns_and_recomputes_it(
    people, english, django_capture_on_commit_callbacks
):
    # given a prepared payment objected to
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    objection = lodge(people)
    # when another official accepts the objection
    with django_capture_on_commit_callbacks() as callbacks:
        objection = objection_accept(
            objection=objection, user=people.approver, reason="The grid operator confirmed it."
        )
    # then the payment is returned with the reason and sent to be computed again
    calculation.refresh_from_db()
    assert calculation.state == "returned" and calculation.prepared_by is None
    assert any(callback.__qualname__ == "payment_compute_enqueue.<locals>.<lambda>"
               for callback in callbacks)  # fmt: skip
    assert objection.state == "accepted" and "computed again" in objection.outcome
    returned = Decision.objects.get(action="return")
    assert f"Objection #{objection.pk} accepted" in returned.reason
    assert Decision.objects.filter(action="accept_objection", user=people.approver).exists()


def test_after_approval_accepting_proposes_an_adjustment_for_four_eyes(people, english):
    # given an approved payment, objected to within the window
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    calculation = payment_approve(calculation=calculation, user=people.approver)
    objection = lodge(people)
    # then accepting it needs the amount
    with pytest.raises(ObjectionInputError) as missing:
        objection_accept(objection=objection, user=people.approver, reason="Agreed.")
    assert missing.value.field == "amount"
    answer = api(people.approver).post(
        f"/api/v1/objections/{objection.pk}/accept/", {"reason": "Agreed."}
    )
    assert answer.status_code == 400 and "amount" in answer.json()
    # when it is given, an adjustment is proposed, which the proposer may not approve
    objection = objection_accept(
        objection=objection, user=people.approver, reason="Agreed.", amount=Decimal("1200.00")
    )
    adjustment = PaymentAdjustment.objects.get()
    assert objection.adjustment == adjustment and adjustment.state == "proposed"
    assert adjustment.amount == Decimal("1200.00")
    with pytest.raises(ActionRefused, match="another official must approve"):
        adjustment_approve(adjustment=adjustment, user=people.approver)
    assert adjustment_approve(adjustment=adjustment, user=people.second_approver).state == (
        "approved"
    )


def test_accepting_an_objection_to_an_accepted_measurement_reopens_it(people, english):
    # given a figure an official accepted (shown to the company at the review)
    measurement = Measurement.objects.get(kpi__code="MGT-1")
    Measurement.objects.filter(pk=measurement.pk).update(
        reviewed_by=people.preparer, reviewed_at=timezone.now()
    )
    objection = lodge(people, subject=measurement)
    assert objection.contested_official == people.preparer
    # when another official accepts the objection
    objection_accept(objection=objection, user=people.approver, reason="Points too low.")
    # then the measurement is open for correction and the payment is returned
    measurement.refresh_from_db()
    assert measurement.state == "returned" and "Points too low." in measurement.review_reason
    people.calculation.refresh_from_db()
    assert people.calculation.state == "returned"


def test_a_measurement_never_shown_cannot_be_contested(people, english):
    # an imported figure accepted without a review was never shown to the company
    with pytest.raises(ActionRefused, match="can be contested"):
        lodge(people, subject=Measurement.objects.get(kpi__code="OUT-1"))


def test_evidence_for_an_objection_is_checked_like_evidence(people, english):
    objection = lodge(people)
    evidence = objection_add_evidence(
        objection=objection,
        upload=SimpleUploadedFile("grid-letter.pdf", PDF),
        user=people.enterprise,
    )
    assert evidence.content_type == "application/pdf"
    answer = api(people.enterprise).post(
        f"/api/v1/objections/{objection.pk}/evidence/",
        {"file": SimpleUploadedFile("run.exe", b"MZ\x90\x00not a document")},
        format="multipart",
    )
    assert answer.status_code == 400 and "file" in answer.json()
    # the company's file downloads for the agency's officials, not for another company
    url = f"/api/v1/objection-evidence/{evidence.pk}/download/"
    assert api(people.preparer).get(url).status_code == 200
    assert api(people.other_enterprise).get(url).status_code == 404
    # once decided, no more files
    objection_uphold(objection=objection, user=people.approver, reason="Stands.")
    with pytest.raises(ActionRefused):
        objection_add_evidence(
            objection=objection, upload=SimpleUploadedFile("b.pdf", PDF), user=people.enterprise
        )


def test_the_api_lodges_lists_in_scope_and_decides(people, english):
    # when the company lodges through the API
    answer = api(people.enterprise).post(
        "/api/v1/objections/",
        {"calculation": people.calculation.pk, "reason": "Wrong step.", "item": "OUT-2"},
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["state"] == "open" and body["item"] == "OUT-2"
    assert body["actions"] == ["add_evidence"]
    # then it is listed for the company, the agency and auditors, for nobody else
    for user in (people.enterprise, people.preparer, people.auditor):
        assert api(user).get("/api/v1/objections/").json()["count"] == 1
    for user in (people.other_enterprise, people.other_official):
        assert api(user).get("/api/v1/objections/").json()["count"] == 0
        assert api(user).get(f"/api/v1/objections/{body['id']}/").status_code == 404
    # and an official of the agency upholds it
    answer = api(people.approver).post(
        f"/api/v1/objections/{body['id']}/uphold/", {"reason": "The figure stands."}
    )
    assert answer.status_code == 200 and answer.json()["state"] == "upheld"
    # neither or both subjects: 400 on the field
    answer = api(people.enterprise).post("/api/v1/objections/", {"reason": "x"})
    assert answer.status_code == 400 and "calculation" in answer.json()


def test_payments_list_reads_open_objections_in_constant_queries(
    people, django_assert_max_num_queries
):
    lodge(people)
    with django_assert_max_num_queries(6):
        answer = api(people.preparer).get("/api/v1/payments/")
    assert answer.status_code == 200
    assert answer.json()["results"][0]["actions"] == ["compute", "return"]


def review_page(client, user, period) -> str:
    client.force_login(user)
    return client.get(reverse("admin:contracts_period_review", args=[period.pk])).content.decode()


def test_the_review_page_shows_the_objection_and_who_may_decide(people, client):
    # given a payment the preparer prepared, objected to with a file
    payment_prepare(calculation=people.calculation, user=people.preparer)
    objection = lodge(people, item="OUT-1")
    objection_add_evidence(
        objection=objection, upload=SimpleUploadedFile("grid.pdf", PDF), user=people.enterprise
    )
    period = people.calculation.period
    decide = reverse("admin:contracts_objection_decide", args=[objection.pk, "accept"])
    approve = reverse("admin:payment_decide", args=[people.calculation.pk, "approve"])
    # then the preparer sees it without buttons (their own preparation)
    page = review_page(client, people.preparer, period)
    assert f'id="objection-{objection.pk}"' in page and "grid.pdf" in page
    assert decide not in page
    # the approver sees the decision buttons and no approve button while it is open
    page = review_page(client, people.approver, period)
    assert decide in page and approve not in page
    # when the approver accepts it from the page
    client.post(decide, {"reason": "电网停电，非企业原因"})
    # then it is accepted and the payment returned to be computed again
    objection.refresh_from_db()
    assert objection.state == "accepted" and objection.decided_by == people.approver
    people.calculation.refresh_from_db()
    assert people.calculation.state == "returned"


def test_the_objection_file_downloads_in_the_admin_within_scope(people, client):
    objection = lodge(people)
    evidence = objection_add_evidence(
        objection=objection, upload=SimpleUploadedFile("grid.pdf", PDF), user=people.enterprise
    )
    url = reverse("admin:contracts_objection_evidence_download", args=[evidence.pk])
    client.force_login(people.preparer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    people.other_official.is_staff = True
    people.other_official.save()
    client.force_login(people.other_official)
    assert client.get(url).status_code == 404


def test_the_home_counts_open_objections_in_constant_queries(
    people, client, django_assert_max_num_queries
):
    lodge(people)
    client.force_login(people.approver)
    # the home's budget (tests/contracts/test_admin_review.py), objections counted within it
    with django_assert_max_num_queries(20):
        page = client.get(reverse("admin:index")).content.decode()
    objections = reverse("admin:contracts_objection_changelist")
    assert f'href="{objections}?state__exact=open">1<' in page
    # and the list opens on it, for officials
    assert client.get(f"{objections}?state__exact=open").status_code == 200


def test_the_portal_objects_to_a_deduction_with_a_file(people, client):
    # given the company's period page with its computed payment
    client.force_login(people.enterprise)
    period = people.calculation.period
    page = client.get(reverse("portal:objections", args=[period.pk])).content.decode()
    # then each deduction line has an object button (cn-steps loses points on some KPIs)
    new = reverse("portal:objection-new", args=[period.pk])
    assert page.count(f'href="{new}?calculation={people.calculation.pk}') >= 2
    # when the company objects to one line with a file
    answer = client.post(
        new,
        {
            "calculation": people.calculation.pk,
            "item": "OUT-1",
            "reason": "停电由电网造成",
            "files": [SimpleUploadedFile("grid.pdf", PDF)],
        },
    )
    # then the objection is lodged with its file and its progress is shown
    assert answer.status_code == 302
    objection = Objection.objects.get()
    assert (objection.item, objection.evidence.get().original_name) == ("OUT-1", "grid.pdf")
    page = client.get(reverse("portal:objections", args=[period.pk])).content.decode()
    assert f'id="objection-{objection.pk}"' in page and "grid.pdf" in page


def test_the_portal_refuses_a_bad_file_and_lodges_nothing(people, client):
    client.force_login(people.enterprise)
    period = people.calculation.period
    answer = client.post(
        reverse("portal:objection-new", args=[period.pk]),
        {
            "calculation": people.calculation.pk,
            "reason": "x",
            "files": [SimpleUploadedFile("a.pdf", b"MZ\\x90 not a document")],
        },
    )
    assert answer.status_code == 400
    assert not Objection.objects.exists()


def test_the_portal_shows_the_date_a_late_objection_window_closed(people, client):
    shown = datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    type(people.calculation).objects.filter(pk=people.calculation.pk).update(computed_at=shown)
    client.force_login(people.enterprise)
    period = people.calculation.period
    answer = client.post(
        reverse("portal:objection-new", args=[period.pk]),
        {"calculation": people.calculation.pk, "reason": "迟了"},
    )
    assert answer.status_code == 400
    assert "2026年10月13日" in answer.content.decode()
    assert not Objection.objects.exists()


def test_another_companys_figure_is_not_found_in_the_portal(people, client):
    client.force_login(people.other_enterprise)
    period = people.calculation.period
    url = reverse("portal:objection-new", args=[period.pk])
    assert client.get(f"{url}?calculation={people.calculation.pk}").status_code == 404
    assert client.get(reverse("portal:objections", args=[period.pk])).status_code == 404


def test_objections_are_not_in_the_ocds_export(people):
    # given an objection decided, and one accepted after approval with an adjustment approved
    from reports.ocds import ocds_release_package
    from reports.selectors import ocds_contracts_data

    objection = objection_lodge(
        subject=people.calculation, user=people.enterprise, reason="电网停电异议甲"
    )
    objection_uphold(objection=objection, user=people.approver, reason="维持原扣款乙")
    calculation = payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=calculation, user=people.approver)
    late = objection_lodge(subject=calculation, user=people.enterprise, reason="再次异议丙")
    objection_accept(
        objection=late, user=people.approver, reason="采纳丁", amount=Decimal("100.00")
    )
    adjustment_approve(adjustment=PaymentAdjustment.objects.get(), user=people.second_approver)
    # when the contract is exported
    data = ocds_contracts_data(
        contracts=type(people.contract).objects.filter(pk=people.contract.pk)
    )
    text = str(ocds_release_package(data, uri="https://example.org/x", today=timezone.localdate()))
    # then no objection, reason or decision is in it (the approved adjustment's amount is)
    for secret in ("甲", "乙", "丙", "丁", "objection", "Objection", "异议"):
        assert secret not in text


def test_the_objection_conditions_agree_with_their_queue_filters(people):
    """The payment table's new condition and the objection table's, for one object and as a
    filter, agree with objections open, decided and on either kind of figure."""
    measurement = Measurement.objects.get(kpi__code="MGT-1")
    Measurement.objects.filter(pk=measurement.pk).update(
        reviewed_by=people.preparer, reviewed_at=timezone.now()
    )
    on_payment = lodge(people)
    lodge(people, subject=measurement)
    for state in ("open", "upheld"):
        Objection.objects.filter(pk=on_payment.pk).update(
            state=state, decided_by=people.approver if state != "open" else None,
            decided_at=timezone.now() if state != "open" else None,
            decision_reason="x" if state != "open" else "",
        )  # fmt: skip
        for table in (workflow.PAYMENT, workflow.OBJECTION):
            for step in table.transitions.values():
                for condition in step.conditions:
                    rows = list(table.model.objects.all())
                    matching = set(
                        table.model.objects.filter(condition.q()).values_list("pk", flat=True)
                    )
                    assert {r.pk for r in rows if condition.holds(r)} == matching, step


@pytest.mark.parametrize("contracts", [3, 12])
def test_the_payments_list_reads_open_objections_in_the_same_queries(
    contracts, django_assert_max_num_queries
):
    # given payments each held up by an open objection
    from contracts.models import PaymentCalculation, Period
    from contracts.services.payments import payments_compute
    from contracts.synthetic import synthetic_portfolio_create
    from portfolio.models import Party
    from tests.contracts.conftest import person

    synthetic_portfolio_create(contracts=contracts)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    enterprise = person("e", "enterprise", Party.objects.filter(kind="enterprise").first())
    for calculation in PaymentCalculation.objects.select_related("period"):
        Objection.objects.create(
            period=calculation.period, calculation=calculation, reason="x",
            shown_at=calculation.computed_at, window_closes_on=timezone.localdate(),
            lodged_by=enterprise,
        )  # fmt: skip
    preparer = person("p", "preparer", Party.objects.get(kind="government"))
    # then the list offers no prepare, in the same number of queries for 3 or 12 payments
    with django_assert_max_num_queries(8):
        answer = api(preparer).get("/api/v1/payments/")
    rows = answer.json()["results"]
    assert len(rows) == contracts, (answer.json(), PaymentCalculation.objects.count())
    assert all("prepare" not in row["actions"] for row in rows)


@pytest.mark.postgres_only
def test_every_step_of_an_objection_is_recorded(people):
    # given an objection lodged with a file and upheld
    objection = lodge(people)
    objection_add_evidence(
        objection=objection, upload=SimpleUploadedFile("a.pdf", PDF), user=people.enterprise
    )
    objection_uphold(objection=objection, user=people.approver, reason="维持")
    # then pghistory keeps the lodging and the decision, and the file's upload
    events = Objection.pgh_event_model.objects.filter(pgh_obj=objection).order_by("pgh_id")
    assert [(e.pgh_label, e.state) for e in events] == [("insert", "open"), ("update", "upheld")]
    assert objection.evidence.get().pgh_event_model.objects.count() == 1


def test_lodging_and_deciding_are_mailed_from_tasks_once(
    people, django_capture_on_commit_callbacks
):
    from django.core import mail

    from contracts.tasks import send_objection_decided, send_objection_lodged

    # when the company lodges: nothing is sent in the request, a task waits for the commit
    with django_capture_on_commit_callbacks() as queued:
        objection = lodge(people)
    assert mail.outbox == [] and len(queued) == 1
    # then the agency's officials are told once, however often the task runs
    send_objection_lodged.apply(args=[objection.pk]).get()
    send_objection_lodged.apply(args=[objection.pk]).get()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "approver2@example.gov.cn", "approver@example.gov.cn", "preparer@example.gov.cn",
    ]  # fmt: skip
    assert f"#{objection.pk}" in mail.outbox[0].subject
    # and the company hears the decision with its reasons
    mail.outbox.clear()
    objection_uphold(objection=objection, user=people.approver, reason="巡检记录显示确有断网")
    send_objection_decided.apply(args=[objection.pk]).get()
    assert [m.to[0] for m in mail.outbox] == ["company@example.gov.cn"]
    assert "巡检记录显示确有断网" in mail.outbox[0].body
