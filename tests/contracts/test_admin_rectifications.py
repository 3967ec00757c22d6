"""The officials' side in the admin: issuing a rectification notice from the period review
page, verifying or sending back the answer, the notices list, the home's counts, and the
contract's monitoring page — each in a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import PaymentCalculation, RectificationNotice
from contracts.services import rectifications as r
from tests.contracts.test_monitoring import MET, QUARTERS, add_period

pytestmark = pytest.mark.django_db


def review(period) -> str:
    return reverse("admin:contracts_period_review", args=[period.pk])


def issue_form(people, **fields) -> dict:
    deadline = timezone.localdate() + timedelta(days=20)
    kpi = people.contract.mechanism_versions.get().kpis.get(code="EFF-1")
    return {
        "kpi": kpi.pk,
        "problem": "预警响应时间超标。",
        "required_action": "优化预警流程。",
        "deadline": deadline.isoformat(),
        **fields,
    }


def test_an_official_issues_a_notice_from_the_review_page(client, people):
    period = people.contract.periods.get()
    client.force_login(people.preparer)
    page = client.get(review(period)).content.decode()
    assert 'id="issue-notice"' in page

    response = client.post(
        reverse("admin:rectification_issue", args=[period.pk]), issue_form(people), follow=True
    )

    notice = RectificationNotice.objects.get()
    assert (notice.state, notice.kpi.code, notice.issued_by) == ("issued", "EFF-1", people.preparer)
    page = response.content.decode()
    assert f'id="notice-{notice.pk}"' in page and "预警响应时间超标。" in page


def test_a_bad_notice_says_why_and_writes_nothing(client, people):
    period = people.contract.periods.get()
    client.force_login(people.preparer)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("admin:rectification_issue", args=[period.pk]),
        issue_form(people, problem="", deadline=past),
        follow=True,
    )
    assert not RectificationNotice.objects.exists()
    assert "问题及原因: " in response.content.decode()  # the field, and why
    # a past deadline: the service's reason
    response = client.post(
        reverse("admin:rectification_issue", args=[period.pk]),
        issue_form(people, deadline=past),
        follow=True,
    )
    assert not RectificationNotice.objects.exists()
    assert "整改期限早于今天。" in response.content.decode()


def test_another_agency_cannot_issue_or_see(client, people):
    period = people.contract.periods.get()
    client.force_login(people.other_official)
    url = reverse("admin:rectification_issue", args=[period.pk])
    assert client.post(url, issue_form(people)).status_code == 404
    assert not RectificationNotice.objects.exists()


def test_the_official_verifies_or_sends_back_on_the_review_page(client, people):
    period = people.contract.periods.get()
    notice = r.rectification_issue(
        period=period, user=people.preparer, problem="问题", required_action="要求",
        deadline=timezone.localdate(),
    )  # fmt: skip
    r.rectification_answer(notice=notice, user=people.enterprise, answer="已整改。")
    client.force_login(people.approver)
    page = client.get(review(period)).content.decode()
    assert 'name="verify"' in page and 'name="send_back"' in page

    url = reverse("admin:rectification_decide", args=[period.pk, notice.pk, "send_back"])
    answer = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert RectificationNotice.objects.get().state == "answered"
    assert "该字段不能为空。" in answer
    client.post(url, {"reason": "照片不清晰。"})
    assert RectificationNotice.objects.get().state == "sent_back"

    r.rectification_answer(notice=notice, user=people.enterprise, answer="已补照片。")
    url = reverse("admin:rectification_decide", args=[period.pk, notice.pk, "verify"])
    client.post(url)
    notice.refresh_from_db()
    assert (notice.state, notice.verified_by) == ("verified", people.approver)


def test_the_notices_list_opens_on_what_waits_and_links_to_the_review(client, people):
    period = people.contract.periods.get()
    waiting = r.rectification_issue(
        period=period, user=people.preparer, problem="一", required_action="一",
        deadline=timezone.localdate(),
    )  # fmt: skip
    r.rectification_answer(notice=waiting, user=people.enterprise, answer="已整改。")
    r.rectification_issue(
        period=period, user=people.preparer, problem="二", required_action="二",
        deadline=timezone.localdate(),
    )  # fmt: skip
    client.force_login(people.approver)
    page = client.get(reverse("admin:contracts_rectificationnotice_changelist")).content.decode()
    assert page.count('#rectification">') == 1  # the answered one waits for them
    change = reverse("admin:contracts_rectificationnotice_change", args=[waiting.pk])
    assert client.get(change)["Location"].endswith(f"{review(period)}#rectification")


def test_the_home_counts_notices_and_alerts_in_constant_queries(
    client, people, django_assert_max_num_queries
):
    period = people.contract.periods.get()
    notice = r.rectification_issue(
        period=period, user=people.preparer, problem="问题", required_action="要求",
        deadline=timezone.localdate(),
    )  # fmt: skip
    r.rectification_answer(notice=notice, user=people.enterprise, answer="已整改。")
    RectificationNotice.objects.filter(pk=notice.pk).update(
        deadline=timezone.localdate() - timedelta(days=1)
    )
    PaymentCalculation.objects.update(score=Decimal("81"))  # 良, 1 point above 80
    client.force_login(people.preparer)

    with django_assert_max_num_queries(20):
        page = client.get(reverse("admin:index")).content.decode()

    notices = reverse("admin:contracts_rectificationnotice_changelist")
    assert f'href="{notices}?awaiting=me">1<' in page
    assert f'href="{notices}?awaiting=overdue">1<' in page
    contracts = reverse("admin:contracts_contract_changelist")
    assert f'href="{contracts}?monitoring=alerts">1<' in page
    listed = client.get(f"{contracts}?monitoring=alerts").content.decode()
    assert people.contract.code in listed

    # more periods and KPIs cost no more queries
    for label in QUARTERS:
        add_period(people.contract, label, MET)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("periods", [0, 3])
def test_the_monitoring_page_draws_each_kpi_with_the_alerts_in_constant_queries(
    client, people, periods, django_assert_max_num_queries
):
    for label in list(QUARTERS)[:periods]:
        add_period(people.contract, label, {**MET, "OUT-1": "97"})
    client.force_login(people.preparer)
    url = reverse("admin:contracts_contract_monitoring", args=[people.contract.pk])

    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()

    assert page.count('class="kpi-chart-box"') == 5
    assert page.count('class="chart kpi-chart"') == 5
    assert ('data-kind="below_target"' in page) is (periods > 0)


def test_another_agency_gets_404_on_the_monitoring_page(client, people):
    client.force_login(people.other_official)
    url = reverse("admin:contracts_contract_monitoring", args=[people.contract.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("kpis", [4, 30])
def test_the_monitoring_page_takes_the_same_queries_whatever_the_number_of_kpis(
    client, kpis, django_assert_max_num_queries
):
    from contracts.models import Contract
    from contracts.synthetic import synthetic_portfolio_create
    from portfolio.models import Party
    from tests.contracts.conftest import person

    synthetic_portfolio_create(contracts=1, kpis=kpis)
    contract = Contract.objects.get()
    client.force_login(person("p", "preparer", Party.objects.get(kind="government")))
    url = reverse("admin:contracts_contract_monitoring", args=[contract.pk])

    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()

    assert page.count('class="kpi-chart-box"') == kpis


def test_the_home_reads_the_mornings_alerted_contracts_without_computing_them(client, people):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contracts.tasks import send_monitoring_alerts

    # given the morning digest found the contract's score 1 point above 80
    PaymentCalculation.objects.update(score=Decimal("81"))
    today = timezone.localdate().isoformat()
    send_monitoring_alerts.apply(args=[people.contract.government_party_id, today]).get()
    client.force_login(people.preparer)
    client.get(reverse("admin:index"))  # the session's first request is dearer
    # when the home is shown with the digest's result, then without it (computed)
    with CaptureQueriesContext(connection) as cached:
        page = client.get(reverse("admin:index")).content.decode()
    cache.clear()
    with CaptureQueriesContext(connection) as computed:
        assert client.get(reverse("admin:index")).status_code == 200
    # then it shows the alert with none of the monitoring's five queries
    contracts = reverse("admin:contracts_contract_changelist")
    assert f'href="{contracts}?monitoring=alerts">1<' in page
    assert len(computed) - len(cached) >= 5


def test_too_many_contracts_are_computed_by_a_worker_not_within_the_page(client, people, settings):
    from django.contrib.messages import get_messages
    from django.core.cache import cache

    from contracts.admin import MONITORING_COMPUTING
    from contracts.tasks import refresh_monitoring_alerts

    # given an agency with more contracts than a page computes, one of them with an alert
    settings.MONITOR_SYNC_CONTRACTS = 0
    PaymentCalculation.objects.update(score=Decimal("81"))
    cache.clear()
    client.force_login(people.preparer)
    contracts = reverse("admin:contracts_contract_changelist")
    # when the home is shown before any worker computed them
    page = client.get(reverse("admin:index")).content.decode()
    # then the count says "not yet" and the filtered list says why it is empty
    assert f'href="{contracts}?monitoring=alerts">…<' in page
    listed = client.get(f"{contracts}?monitoring=alerts")
    assert [str(m) for m in get_messages(listed.wsgi_request)] == [str(MONITORING_COMPUTING)]
    assert not listed.context["cl"].result_count
    # and once the queued task has run (as a worker would), the home counts the contract
    agency = people.contract.government_party_id
    refresh_monitoring_alerts.apply(args=[agency, timezone.localdate().isoformat()]).get()
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{contracts}?monitoring=alerts">1<' in page
