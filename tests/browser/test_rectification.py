"""Rectification (整改) in a real browser: gov_preparer issues a notice from the period review
page; enterprise_a answers it in the portal with a file; gov_approver verifies and closes it.
Then the monitoring views: the contract's page in the admin and the dashboard's project page.
Screenshots for the docs (docs/screenshots/rectification-*.png, monitoring-*.png)."""

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from contracts.models import Contract, PaymentCalculation, RectificationNotice
from portfolio.demo_seed import demo_seed
from tests.browser.pages import screenshot, site_login
from tests.browser.test_admin_approval import login
from tests.browser.test_portal_period import pdf

TODAY = date(2026, 11, 23)


def test_issue_answer_verify_and_the_monitoring_views(transactional_db, live_server, new_page):
    # given the demo portfolio and CS-EGOV-01's last computed period (CS-WIFI-01 measures
    # OUT-1 from telemetry)
    demo_seed(today=TODAY)
    contract = Contract.objects.get(code="CS-EGOV-01")
    period = (
        PaymentCalculation.objects.filter(period__contract=contract)
        .order_by("-period__starts_on")
        .first()
        .period
    )
    review = f"/admin/contracts/period/{period.pk}/review/"
    deadline = timezone.localdate() + timedelta(days=14)

    # when the preparer issues a notice about OUT-1 from the review page
    official = new_page()
    login(official, "gov_preparer")
    official.goto(review)
    form = official.locator("#issue-notice")
    if not form.evaluate("e => e.open"):
        form.locator("summary").click()
    kpi = contract.mechanism_versions.order_by("-effective_from").first().kpis.get(code="OUT-1")
    form.locator("select[name=kpi]").select_option(str(kpi.pk))
    form.locator("textarea[name=problem]").fill("部分热点在线率低于目标，原因是设备老化。")
    form.locator("textarea[name=required_action]").fill("更换老化设备，提交更换记录与巡检照片。")
    form.locator("input[name=deadline]").fill(deadline.isoformat())
    form.locator("input[name=issue]").click()
    # then it is listed on the page, issued
    expect(official.locator(".messagelist li.success")).to_be_visible()
    notice = RectificationNotice.objects.get(period=period)
    card = official.locator(f"#notice-{notice.pk}")
    expect(card).to_have_attribute("data-state", "issued")

    # when the company answers in the portal with a file
    company = new_page()
    site_login(company, "enterprise_a", lands_on="我的合同")
    company.locator("#notices-waiting a").click()
    company.locator(f'a[href="/portal/rectifications/{notice.pk}/"]').click()
    company.fill("#id_answer", "已更换 35 台老化设备，附更换记录。")
    company.set_input_files("#id_files", [pdf("更换记录.pdf")])
    screenshot(company, "rectification-portal-answer.png")
    company.locator("#answer-form button[name=send]").click()
    # then it waits for the officials, the file listed
    expect(company.locator(".messages li.success")).to_be_visible()
    expect(company.locator("#notice-state")).to_have_text("已答复")
    expect(company.locator("#notice .files a")).to_have_text("更换记录.pdf")

    # when the approver verifies it on the review page
    approver = new_page()
    login(approver, "gov_approver")
    approver.goto(review + "#rectification")
    card = approver.locator(f"#notice-{notice.pk}")
    expect(card.locator(".files a")).to_have_text("更换记录.pdf")
    card.locator("input[name=verify]").click()
    # then it is closed
    expect(approver.locator(".messagelist li.success")).to_be_visible()
    expect(approver.locator(f"#notice-{notice.pk}")).to_have_attribute("data-state", "verified")
    approver.locator("#rectification").scroll_into_view_if_needed()
    screenshot(approver, "rectification-admin-verified.png")
    notice.refresh_from_db()
    assert (notice.state, notice.verified_by.username) == ("verified", "gov_approver")

    # and the monitoring views draw each KPI of the contract against its target
    approver.goto(f"/admin/contracts/contract/{contract.pk}/monitoring/")
    expect(approver.locator(".kpi-chart-box").first).to_be_visible()
    assert approver.locator(".kpi-chart-box svg").count() >= 5
    screenshot(approver, "monitoring-admin.png")
    auditor = new_page()
    site_login(auditor, "auditor", lands_on="项目组合看板")
    auditor.goto(f"/portfolio/projects/{contract.project_id}/")
    expect(auditor.locator(f"#monitoring-{contract.pk} .kpi-chart-box").first).to_be_visible()
    screenshot(auditor, "monitoring-dashboard.png")
