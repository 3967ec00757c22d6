"""Reports in the officials' admin: the texts and the report on the payment page, and the
bulk action that generates the selected payments' reports; as real officials would."""

import pytest
from django.urls import reverse

from portfolio.models import User
from reports.models import Report

pytestmark = pytest.mark.django_db

TEXTS = {"findings": "监测数据上报延迟偏高。", "recommendations": "加强站点巡检。"}
# The list of all payments (for officials it opens on their queue, "awaiting my action").
PAYMENTS = "/admin/contracts/paymentcalculation/?awaiting=all"


def page_url(calculation) -> str:
    return reverse("admin:contracts_paymentcalculation_change", args=[calculation.pk])


def texts_url(calculation, language: str = "zh-hans") -> str:
    return reverse("admin:payment_report", args=[calculation.pk, language])


def report_url(report) -> str:
    return reverse("admin:reports_report_change", args=[report.pk])


def test_an_official_writes_the_texts_on_the_payment_page_and_gets_the_report(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people.preparer)
    page = client.get(page_url(people.calculation)).content.decode()
    assert "问题及原因" in page and texts_url(people.calculation) in page
    assert texts_url(people.calculation, "en") in page
    # when
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(texts_url(people.calculation), TEXTS, follow=True)
    # then: the report is made with the texts, rendered on a worker, and linked to
    report = Report.objects.get()
    assert (report.version, report.language, report.inputs["texts"]) == (1, "zh-hans", TEXTS)
    assert report.requested_by == people.preparer and len(queued) == 1
    page = response.content.decode()
    assert f'href="{report_url(report)}"' in page and "已排队" in page
    assert "监测数据上报延迟偏高。</textarea>" in page  # the form shows the texts now
    # the same texts again: the same report, nothing queued
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(texts_url(people.calculation), TEXTS, follow=True)
    assert Report.objects.count() == 1 and not queued
    assert "未变" in response.content.decode()
    # changed texts: version 2
    with django_capture_on_commit_callbacks(execute=False):
        client.post(texts_url(people.calculation), {**TEXTS, "findings": "无。"})
    assert list(Report.objects.order_by("version").values_list("version", "findings")) == [
        (1, TEXTS["findings"]),
        (2, "无。"),
    ]


def test_too_long_a_text_is_refused_on_the_page(client, people):
    client.force_login(people.preparer)
    response = client.post(texts_url(people.calculation), {"findings": "长" * 10001}, follow=True)
    assert "问题及原因" in response.content.decode() and "10000" in response.content.decode()
    assert not Report.objects.exists()


def test_only_the_agencys_officials_write_the_texts_in_the_admin(client, people):
    client.force_login(people.other_official)
    assert client.post(texts_url(people.calculation), TEXTS).status_code == 404
    superuser = User.objects.create_superuser("root", "root@example.gov.cn", "pw")
    client.force_login(superuser)  # sees every payment, but the texts are the officials' words
    page = client.get(page_url(people.calculation)).content.decode()
    assert texts_url(people.calculation) not in page
    assert client.post(texts_url(people.calculation), TEXTS).status_code == 403
    client.force_login(people.enterprise)
    response = client.post(texts_url(people.calculation), TEXTS)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Report.objects.exists()


def test_the_payments_action_generates_the_selected_periods_reports(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people.approver)
    action = {"action": "generate_reports", "_selected_action": [people.calculation.pk]}
    # when
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(PAYMENTS, action, follow=True)
    # then
    report = Report.objects.get()
    assert (report.contract, report.period, report.version) == (
        people.contract,
        people.calculation.period,
        1,
    )
    assert len(queued) == 1 and f'href="{report_url(report)}"' in response.content.decode()
    # again: unchanged, nothing new
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(PAYMENTS, action, follow=True)
    assert Report.objects.count() == 1 and not queued
    assert "未变" in response.content.decode()


def test_the_action_makes_nothing_of_another_agencys_payments(client, people):
    client.force_login(people.other_official)
    action = {"action": "generate_reports", "_selected_action": [people.calculation.pk]}
    client.post(PAYMENTS, action)
    assert not Report.objects.exists()


def test_the_payment_page_reads_the_deduction_lines_in_the_officials_language(client, deductions):
    calculation, official = deductions
    client.force_login(official)
    page = client.get(page_url(calculation)).content.decode()
    assert "可用性扣减" in page and "绩效扣减" in page
    assert "可用性不达标：" in page and "绩效扣分点" in page
    assert "<td>availability</td>" not in page and "Availability failure" not in page
    page = client.get(page_url(calculation), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "availability deduction" in page and "performance deduction" in page
    assert "Availability failure:" in page and "Performance points" in page
