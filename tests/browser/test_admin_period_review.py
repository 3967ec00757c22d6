"""The official's whole job in the admin, in a real browser: enterprise_a submits a period in
the portal; gov_preparer reviews it on the period review page and returns one item; the
enterprise resubmits it; the preparer accepts the rest, computes and prepares, and cannot
approve; gov_approver approves and marks it paid, then reopens the period; an adjustment is
proposed by the preparer and approved by the approver. Screenshots for the docs."""

from datetime import date
from decimal import Decimal

from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from contracts.models import (
    COUNTS,
    Contract,
    Measurement,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
)
from portfolio.demo_seed import demo_seed
from tests.browser.pages import screenshot, site_login
from tests.browser.test_admin_approval import login
from tests.browser.test_portal_period import pdf, plausible_figures, value_input

TODAY = date(2026, 11, 23)
State = PaymentCalculation.State


def label(state: str) -> str:
    with translation.override("zh-hans"):
        return str(State(state).label)


def submit_period(page: Page, period: Period, figures: dict[str, str]) -> None:
    page.goto(f"/portal/periods/{period.pk}/")
    for code, figure in figures.items():
        value_input(page, code).fill(figure)
    page.click("button[name=submit]")
    expect(page.locator(".messages li.success")).to_be_visible()


def press(page: Page, name: str) -> None:
    page.locator(f'#period-review input[type=submit][name="{name}"]').click()
    expect(page.locator(".messagelist li.success")).to_be_visible()


def test_an_officials_whole_job_in_the_admin(
    transactional_db, live_server, new_page, celery_worker
):
    # given the demo portfolio and a period of enterprise_a that has ended and is still open
    # (CS-EGOV-01: CS-WIFI-01's OUT-1 is computed from telemetry, not entered)
    demo_seed(today=TODAY)
    contract = Contract.objects.get(code__startswith="CS-EGOV")
    period = (
        contract.periods.filter(state=Period.State.OPEN, ends_on__lt=timezone.localdate())
        .order_by("starts_on")
        .first()
    )
    assert period is not None
    figures = plausible_figures(period)
    review = f"/admin/contracts/period/{period.pk}/review/"

    # when the enterprise submits it in the portal
    enterprise = new_page()
    site_login(enterprise, "enterprise_a", lands_on="我的合同")
    submit_period(enterprise, period, figures)

    # then the preparer's home counts it, and links to what waits
    preparer = new_page()
    login(preparer, "gov_preparer")
    expect(preparer.locator("#official-home")).to_be_visible()
    # (the measurements that count: not the company's own figure for a telemetry KPI)
    waiting = Measurement.objects.filter(
        COUNTS,
        period__contract__government_party=contract.government_party,
        is_current=True,
        state=Measurement.State.SUBMITTED,
    ).count()
    expect(preparer.locator("#home-to_review td")).to_have_text(str(waiting))
    screenshot(preparer, "admin-home.png")
    preparer.locator("#home-to_review a").first.click()
    preparer.locator(f'#result_list a[href="{review}"]').first.click()
    expect(preparer.locator("#kpi-review tr.kpi-row")).to_have_count(len(figures))

    # when the preparer returns OUT-1 with a reason
    row = preparer.locator('tr.kpi-row[data-kpi="OUT-1"]')
    row.locator("summary").first.click()
    row.locator("textarea[name=reason]").fill("月报未加盖公章，请补充盖章扫描件。")
    row.locator("input[name=return]").click()
    expect(preparer.locator(".messagelist li.success")).to_contain_text("OUT-1")
    expect(row.locator(".state-badge")).to_contain_text("退回")
    screenshot(preparer, "admin-period-review.png")

    # and the enterprise corrects and resubmits it
    enterprise.goto(f"/portal/periods/{period.pk}/")
    value_input(enterprise, "OUT-1").fill(str(Decimal(figures["OUT-1"]) - Decimal("0.1")))
    enterprise.set_input_files("#kpi-OUT-1 input[type=file]", [pdf("WiFi可用率月报（盖章）.pdf")])
    enterprise.click("button[name=submit]")
    expect(enterprise.locator(".messages li.success")).to_be_visible()

    # then the preparer accepts all remaining, computes (the page refreshes until stored)
    preparer.goto(review)
    press(preparer, "accept_all")
    expect(preparer.locator("input[name=accept]")).to_have_count(0)
    press(preparer, "compute")
    expect(preparer.locator("#payment-state")).to_have_text(label(State.COMPUTED), timeout=60_000)

    # and prepares; approving their own preparation is not offered
    press(preparer, "prepare")
    expect(preparer.locator("#payment-state")).to_have_text(label(State.PREPARED))
    expect(preparer.locator("input[name=approve]")).to_have_count(0)

    # when the approver approves and marks it paid
    approver = new_page()
    login(approver, "gov_approver")
    approver.goto(review)
    press(approver, "approve")
    expect(approver.locator("#payment-state")).to_have_text(label(State.APPROVED))
    approver.fill("input[name=reference]", "长财付〔2026〕118号")
    approver.fill("input[name=paid_on]", "2026-11-30")
    press(approver, "mark_paid")
    expect(approver.locator("#payment-state")).to_have_text(label(State.PAID))
    screenshot(approver, "admin-payment-paid.png")

    # and reopens the period with a reason
    approver.fill("#reopen-form textarea[name=reason]", "审计发现OUT-2口径有误，需调整付费。")
    press(approver, "reopen")
    expect(approver.locator("#period-state")).to_have_text("已提交")

    # then an adjustment goes through four eyes: the preparer proposes, the approver approves
    preparer.goto(review)
    preparer.fill("#adjust-form input[name=amount]", "-12,000.00")
    preparer.fill("#adjust-form textarea[name=reason]", "OUT-2口径更正")
    press(preparer, "adjust")
    expect(preparer.locator("input[name=approve_adjustment]")).to_have_count(0)
    approver.goto(review)
    press(approver, "approve_adjustment")
    expect(approver.locator("#adjustments .adjustment")).to_contain_text("-12,000.00")
    screenshot(approver, "admin-payment-approved.png")

    calculation = PaymentCalculation.objects.get(period=period)
    assert calculation.state == State.PAID
    assert (calculation.prepared_by.username, calculation.approved_by.username) == (
        "gov_preparer",
        "gov_approver",
    )
    adjustment = PaymentAdjustment.objects.get(calculation=calculation)
    assert adjustment.state == "approved" and adjustment.decided_by.username == "gov_approver"
