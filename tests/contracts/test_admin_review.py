"""The period review page, the official's home counts and the compute button in the admin."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from contracts.models import (
    Decision,
    Measurement,
    PaymentAdjustment,
    PaymentCalculation,
    PaymentRun,
    Period,
)
from contracts.services.approvals import payment_approve, payment_prepare
from contracts.synthetic import synthetic_portfolio_create
from contracts.tasks import compute_payment
from portfolio.models import Party
from tests.contracts.conftest import person
from tests.contracts.test_admin_workplace import evidence_of

pytestmark = pytest.mark.django_db
MState = Measurement.State


def review_url(period) -> str:
    return reverse("admin:contracts_period_review", args=[period.pk])


def item_url(measurement, action: str) -> str:
    return reverse(
        "admin:contracts_period_review_item", args=[measurement.period_id, measurement.pk, action]
    )


def submitted(period) -> list[Measurement]:
    """Put the period's current measurements back to "submitted, awaiting review"."""
    period.measurements.update(state=MState.SUBMITTED, reviewed_by=None, reviewed_at=None)
    PaymentCalculation.objects.filter(period=period).delete()
    return list(period.measurements.order_by("kpi__position"))


def test_the_review_page_shows_every_kpi_with_rule_figure_points_and_evidence(client, people):
    # given a period whose figures wait for review, one with a file
    period = people.calculation.period
    items = submitted(period)
    evidence_of(items[0], people.enterprise, "在线率报表.pdf")
    client.force_login(people.preparer)

    # when the preparer opens its review page
    page = client.get(review_url(period), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then every KPI shows with its rule in words, its figure without trailing zeros and its
    # points, the file with type, size and hash prefix, and accept / return buttons
    assert "内涝监测站点在线率" in page and ">95.5<" in page and "95.500000" not in page
    assert "points off for every" in page
    assert "在线率报表.pdf" in page and "application/pdf" in page and "13\xa0bytes" in page
    assert reverse("admin:contracts_evidence_download", args=[items[0].evidence.get().pk]) in page
    for item in items:
        assert item_url(item, "accept") in page and item_url(item, "return") in page
    assert reverse("admin:contracts_period_accept_all", args=[period.pk]) in page
    assert reverse("admin:period_compute", args=[period.pk]) in page


def test_returning_with_a_reason_then_accepting_all_the_rest(client, people):
    period = people.calculation.period
    first, *rest = submitted(period)
    client.force_login(people.preparer)

    # a return without a reason is refused and changes nothing
    client.post(item_url(first, "return"), {"reason": " "})
    first.refresh_from_db()
    assert first.state == MState.SUBMITTED

    response = client.post(
        item_url(first, "return"),
        {"reason": "报表缺少盖章"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    first.refresh_from_db()
    assert first.state == MState.RETURNED and first.review_reason == "报表缺少盖章"
    assert "waits for the enterprise's correction" in html.unescape(response.content.decode())

    response = client.post(
        reverse("admin:contracts_period_accept_all", args=[period.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert f"{len(rest)} items accepted; next, compute the payment" in response.content.decode()
    assert {m.state for m in Measurement.objects.filter(pk__in=[m.pk for m in rest])} == {
        MState.ACCEPTED
    }
    first.refresh_from_db()
    assert first.state == MState.RETURNED  # returned stays returned


def test_an_official_of_another_agency_cannot_open_or_post_the_review(client, people):
    period = people.calculation.period
    first, *_ = submitted(period)
    client.force_login(people.other_official)
    assert client.get(review_url(period)).status_code == 404
    assert client.post(item_url(first, "accept")).status_code == 404
    assert client.post(reverse("admin:period_compute", args=[period.pk])).status_code == 404
    first.refresh_from_db()
    assert first.state == MState.SUBMITTED


def test_compute_is_sent_after_commit_and_the_page_refreshes_until_it_is_stored(
    client, people, django_capture_on_commit_callbacks
):
    # given a period with every item accepted and no payment yet
    period = people.calculation.period
    PaymentCalculation.objects.filter(period=period).delete()
    client.force_login(people.preparer)

    # when the preparer presses compute
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("admin:period_compute", args=[period.pk]))

    # then one task is sent once the request commits, and the page refreshes itself
    assert len(callbacks) == 1
    assert "computing=" in response["Location"]
    assert 'http-equiv="refresh"' in client.get(response["Location"]).content.decode()

    # when the worker has computed it, the page shows the payment and stops refreshing
    compute_payment(period.pk)
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    calculation = PaymentCalculation.objects.get(period=period)
    assert "3,552,000.00" in page and calculation.state == PaymentCalculation.State.COMPUTED


def test_the_review_page_shows_only_the_buttons_this_official_may_press(client, people):
    period = people.calculation.period
    prepare = reverse("admin:payment_decide", args=[people.calculation.pk, "prepare"])
    approve = reverse("admin:payment_decide", args=[people.calculation.pk, "approve"])
    client.force_login(people.preparer)
    page = client.get(review_url(period)).content.decode()
    assert prepare in page and approve not in page

    payment_prepare(calculation=people.calculation, user=people.preparer)
    page = client.get(review_url(period)).content.decode()
    assert approve not in page  # the preparer never approves their own

    client.force_login(people.approver)
    response = client.post(approve, {"next": review_url(period)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Location"] == review_url(period)
    page = client.get(review_url(period), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "approved and the period locked" in page
    assert reverse("admin:period_reopen", args=[period.pk]) in page


def test_an_approver_reopens_a_locked_period_with_a_reason(client, people):
    period = people.calculation.period
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    client.force_login(people.approver)
    url = reverse("admin:period_reopen", args=[period.pk])

    client.post(url, {"reason": ""})
    period.refresh_from_db()
    assert period.state == Period.State.LOCKED

    client.post(url, {"reason": "审计发现在线率数据有误"})
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED
    assert Decision.objects.filter(period=period, action="reopen").get().reason == (
        "审计发现在线率数据有误"
    )


def test_the_review_page_reads_the_same_queries_whatever_the_number_of_kpis_and_files(
    client, django_assert_max_num_queries
):
    # given two contracts of one agency: 3 KPIs without files and 20 KPIs with two files each
    synthetic_portfolio_create(contracts=1, kpis=3, prefix="SMALL")
    synthetic_portfolio_create(contracts=1, kpis=20, prefix="BIG")
    agency = Party.objects.get(kind="government")
    official = person("reviewer", "preparer", agency)
    enterprise = person("ent", "enterprise", Party.objects.filter(kind="enterprise").last())
    small, big = (
        Period.objects.order_by("contract__code")[1],
        Period.objects.order_by("contract__code")[0],
    )
    assert big.contract.code.startswith("BIG")
    for measurement in big.measurements.all():
        evidence_of(measurement, enterprise, "a.pdf")
        evidence_of(measurement, enterprise, "b.pdf")
    client.force_login(official)

    for period in (small, big):
        with django_assert_max_num_queries(16):
            assert client.get(review_url(period)).status_code == 200


def test_the_home_counts_what_waits_with_links_in_constant_queries(
    client, people, django_assert_max_num_queries
):
    # given one item waiting for review, one returned and the computed payment
    period = people.calculation.period
    first, second, *_ = period.measurements.order_by("kpi__position")
    Measurement.objects.filter(pk=first.pk).update(state=MState.SUBMITTED)
    Measurement.objects.filter(pk=second.pk).update(
        state=MState.RETURNED, reviewed_by=people.preparer, review_reason="缺少附件"
    )
    client.force_login(people.preparer)

    # (with the rectification notices' two counts and the contracts with monitoring alerts)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("admin:index")).content.decode()

    measurements = reverse("admin:contracts_measurement_changelist")
    assert f'href="{measurements}?review=waiting">1<' in page
    assert f'href="{measurements}?review=returned">1<' in page
    payments = reverse("admin:contracts_paymentcalculation_changelist")
    assert f'href="{payments}?awaiting=all&amp;state__exact=computed">1<' in page

    # and many more periods do not cost more queries
    synthetic_portfolio_create(contracts=30, kpis=2, prefix="MORE")
    with django_assert_max_num_queries(20):
        assert client.get(reverse("admin:index")).status_code == 200


def test_lists_open_on_what_waits(client, people):
    period = people.calculation.period
    first, *_ = period.measurements.order_by("kpi__position")
    Measurement.objects.filter(pk=first.pk).update(state=MState.SUBMITTED)
    client.force_login(people.preparer)

    page = client.get(reverse("admin:contracts_measurement_changelist")).content.decode()
    assert page.count('class="action-select"') == 1  # the one waiting, not the accepted ones
    page = client.get(reverse("admin:contracts_measurement_changelist") + "?review=all")
    assert page.content.decode().count('class="action-select"') == period.measurements.count()

    payments = client.get(reverse("admin:contracts_paymentcalculation_changelist"))
    assert payments.content.decode().count('class="action-select"') == 1  # computed: to prepare


def test_an_adjustment_is_proposed_by_one_official_and_approved_by_another(client, people):
    # given an approved payment
    period = people.calculation.period
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    client.force_login(people.approver)

    # a bad amount is refused, naming the field
    response = client.post(
        reverse("admin:payment_adjust", args=[period.pk]),
        {"amount": "1e99", "reason": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "Amount: at most 10,000,000,000,000.00" in response.content.decode()
    assert not PaymentAdjustment.objects.exists()

    # when the approver proposes one with a reason
    client.post(
        reverse("admin:payment_adjust", args=[period.pk]),
        {"amount": "-12,000.50", "reason": "在线率数据有误"},
    )
    adjustment = PaymentAdjustment.objects.get()
    assert adjustment.amount == Decimal("-12000.50") and adjustment.state == "proposed"
    approve = reverse("admin:adjustment_decide", args=[period.pk, adjustment.pk, "approve"])

    # then they may not approve it themselves: no button, and the post is refused
    assert approve not in client.get(review_url(period)).content.decode()
    client.post(approve)
    adjustment.refresh_from_db()
    assert adjustment.state == "proposed"

    # another approver sees the button and approves it; it shows on the payment page
    client.force_login(people.second_approver)
    assert approve in client.get(review_url(period)).content.decode()
    client.post(approve)
    adjustment.refresh_from_db()
    assert adjustment.state == "approved" and adjustment.decided_by == people.second_approver
    payment_page = reverse(
        "admin:contracts_paymentcalculation_change", args=[people.calculation.pk]
    )
    assert "-12,000.50" in client.get(payment_page).content.decode()


def test_compute_the_selected_periods_action_sends_each_after_commit(
    client, people, django_capture_on_commit_callbacks
):
    period = people.calculation.period
    client.force_login(people.preparer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:contracts_period_changelist"),
            {"action": "compute_selected", "_selected_action": [period.pk]},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    assert len(callbacks) == 1
    assert "Sent to be computed" in response.content.decode()


def test_a_period_run_starts_from_the_admin_and_shows_its_progress(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people.preparer)
    start = reverse("admin:payment_run_start")
    response = client.post(start, {"label": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Write the label as" in response.content.decode() and not PaymentRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(start, {"label": people.calculation.period.label})
    run = PaymentRun.objects.get()
    assert response["Location"] == reverse("admin:payment_run_progress", args=[run.pk])
    assert len(callbacks) == 1
    page = client.get(response["Location"]).content.decode()
    assert ('http-equiv="refresh"' in page) == (run.state == PaymentRun.State.RUNNING)


def test_officials_read_an_objects_history_only_within_their_agency(client, people):
    url = reverse("admin:contracts_paymentcalculation_history", args=[people.calculation.pk])
    client.force_login(people.preparer)
    page = client.get(url)
    assert page.status_code == 200 and 'id="change-history"' in page.content.decode()
    assert "pghistory" not in client.get(page_of(people.calculation)).content.decode()

    client.force_login(people.other_official)
    response = client.get(url)
    assert response.status_code == 302 and 'id="change-history"' not in response.content.decode()


def page_of(calculation) -> str:
    return reverse("admin:contracts_paymentcalculation_change", args=[calculation.pk])


def test_lists_and_home_stop_counting_beyond_the_cap(people):
    from contracts.admin_base import COUNT_CAP, capped_count
    from contracts.templatetags.admin_home import count_text

    measurements = Measurement.objects.all()
    assert capped_count(measurements, cap=2) == 3 < measurements.count()
    assert capped_count(measurements, cap=100) == measurements.count()
    with translation.override("en"):
        assert count_text(COUNT_CAP + 1) == "more than 1,000"
        assert count_text(COUNT_CAP) == "1,000"
