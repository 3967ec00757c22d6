"""Objections in a real browser: enterprise_a objects to a deduction of a computed payment
from the portal, with a file; gov_preparer cannot prepare the payment while the objection is
open; gov_approver accepts it and the payment is computed again (on the worker), then
prepared and approved; a second objection after the window is refused with the date the
window closed. Screenshots for the docs (docs/screenshots/objection-*.png)."""

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import Page, expect

from contracts.models import Objection, PaymentCalculation
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from tests.browser.pages import screenshot, site_login
from tests.browser.test_admin_approval import login
from tests.browser.test_portal_period import pdf

TODAY = date(2026, 11, 23)
State = PaymentCalculation.State


def press(page: Page, name: str) -> None:
    page.locator(f'input[type=submit][name="{name}"]').click()
    expect(page.locator(".messagelist li.success")).to_be_visible()


def wait_recomputed(calculation: PaymentCalculation, since) -> PaymentCalculation:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        calculation.refresh_from_db()
        if calculation.state == State.COMPUTED and calculation.computed_at > since:
            return calculation
        time.sleep(0.3)
    raise AssertionError("the payment was not computed again")


def test_an_objection_from_the_portal_to_the_approved_payment(
    transactional_db, live_server, new_page, celery_worker
):
    # given the demo, and enterprise_a's computed payment awaiting preparation, shown today
    demo_seed(today=TODAY)
    company = User.objects.get(username="enterprise_a").party
    agency = User.objects.get(username="gov_preparer").party
    calculation = (
        PaymentCalculation.objects.filter(
            state=State.COMPUTED,
            period__contract__private_party=company,
            period__contract__government_party=agency,
            deduction__gt=0,
        )
        .select_related("period__contract")
        .order_by("pk")
        .first()
    )
    assert calculation is not None
    PaymentCalculation.objects.filter(pk=calculation.pk).update(computed_at=timezone.now())
    period = calculation.period
    review = f"/admin/contracts/period/{period.pk}/review/"

    # when the company objects to a deduction line from the portal, with a file
    enterprise = new_page()
    site_login(enterprise, "enterprise_a", lands_on="我的合同")
    enterprise.goto(f"/portal/periods/{period.pk}/")
    enterprise.click("#objections-link")
    rows = enterprise.locator("#contestable tr.figure-row")
    expect(rows.first).to_be_visible()
    line = rows.nth(1)  # the first deduction line (row 0: the payment as a whole)
    item = line.locator("td").first.inner_text()
    line.locator("a.object-button").click()
    enterprise.fill("#id_reason", "5月3日全市停电由电网检修造成，非我司原因，附供电公司证明。")
    enterprise.set_input_files("#id_files", [pdf("供电公司停电证明.pdf")])
    screenshot(enterprise, "objection-form.png")
    enterprise.click("button[name=lodge]")
    expect(enterprise.locator(".messages li.success")).to_contain_text("已提交")
    objection = Objection.objects.get()
    assert objection.item == item and objection.evidence.count() == 1
    expect(enterprise.locator(f"#objection-{objection.pk}")).to_contain_text("供电公司停电证明.pdf")
    screenshot(enterprise, "objection-portal-progress.png")

    # then the preparer cannot prepare while it is open, and sees why on the payment page
    preparer = new_page()
    login(preparer, "gov_preparer")
    preparer.goto(review)
    expect(preparer.locator(f"#objection-{objection.pk}")).to_contain_text("供电公司停电证明.pdf")
    expect(preparer.locator('input[type=submit][name="prepare"]')).to_have_count(0)
    expect(preparer.locator("#objection-hold")).to_contain_text("不予经办和审批")
    screenshot(preparer, "objection-admin-open.png")

    # when another official accepts it, the payment is computed again on the worker
    approver = new_page()
    login(approver, "gov_approver")
    approver.goto(review)
    panel = approver.locator(f"#objection-{objection.pk}")
    panel.locator("textarea[name=reason]").fill("供电公司证明属实，扣分撤销，重新计算。")
    before = timezone.now()
    panel.locator('input[name="accept"]').click()
    expect(approver.locator(".messagelist li.success")).to_contain_text(f"#{objection.pk}")
    wait_recomputed(calculation, before)
    objection.refresh_from_db()
    assert objection.state == Objection.State.ACCEPTED
    assert objection.decided_by.username == "gov_approver"

    # then it is prepared and approved (four eyes: by two officials)
    preparer.goto(review)
    press(preparer, "prepare")
    approver.goto(review)
    press(approver, "approve")
    screenshot(approver, "objection-accepted-approved.png")
    calculation.refresh_from_db()
    assert calculation.state == State.APPROVED

    # when the company objects again once the window has passed (shown Wed 30 Sep 2026:
    # 8, 9, 10 (make-up Saturday), 12, 13 October count; 1–7 October is 国庆)
    shown = datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    PaymentCalculation.objects.filter(pk=calculation.pk).update(computed_at=shown)
    enterprise.goto(f"/portal/periods/{period.pk}/objections/")
    expect(enterprise.locator("#contestable .refusal").first).to_contain_text("2026年10月13日")
    expect(enterprise.locator("#contestable a.object-button")).to_have_count(0)
    # (a page opened before the window closed still posts the form: it is refused)
    enterprise.goto(f"/portal/periods/{period.pk}/objections/new/?calculation={calculation.pk}")
    enterprise.fill("#id_reason", "再次异议")
    enterprise.click("button[name=lodge]")
    # then it is refused with the date the window closed, and nothing is lodged
    expect(enterprise.locator("#objection-refused")).to_contain_text(
        "异议期已于 2026年10月13日 截止"
    )
    screenshot(enterprise, "objection-late.png")
    assert Objection.objects.count() == 1
