"""The payment workplace in a real browser: the demo preparer prepares a computed payment from
their queue, the demo approver of the same agency approves it. Saves both pages as screenshots
for the docs."""

from datetime import date

from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from contracts.models import PaymentCalculation
from contracts.selectors import payment_review, payments_awaiting
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from portfolio.money import money_text
from tests.browser.pages import screenshot

TODAY = date(2026, 11, 23)
QUEUE = "/admin/contracts/paymentcalculation/?awaiting=me"
State = PaymentCalculation.State


def login(page: Page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click("#login-form input[type=submit]")
    expect(page.locator("#logout-form")).to_be_attached()


def open_from_queue(page: Page, payment: PaymentCalculation) -> None:
    page.goto(QUEUE)
    page.locator(f'#result_list a[href*="/paymentcalculation/{payment.pk}/change/"]').click()
    expect(page.locator(".payment-review .state-badge")).to_be_visible()


def press(page: Page, button: str) -> None:
    """Press a decision button, which posts its own little form and comes back to the page."""
    submit = page.locator(f'.payment-actions input[type=submit][name="{button}"]')
    action = submit.evaluate("input => input.form.getAttribute('action')")
    assert (action or "").endswith(f"/decide/{button}/"), (
        f"the {button!r} button submits the form with action={action!r}, not its decision form"
        " (is the <form> nested inside the admin's change form?)"
    )
    back = page.url.split("?")[0]  # the payment page, without the queue it was opened from
    submit.click()
    expect(page).to_have_url(back)
    expect(page.locator(".messagelist li.success")).to_be_visible()


def state_label(state: str) -> str:
    """The state as the Chinese page shows it in its badge."""
    with translation.override("zh-hans"):
        return str(State(state).label)


def test_a_preparer_and_an_approver_decide_a_payment_in_the_browser(
    transactional_db, live_server, new_page
):
    # given the demo portfolio, and a computed payment in the preparer's queue with KPIs to check
    demo_seed(today=TODAY)
    preparer = User.objects.get(username="gov_preparer")
    payment = payments_awaiting(user=preparer).filter(score__isnull=False).order_by("pk").first()
    assert payment is not None and payment.state == State.COMPUTED
    kpi_rows = payment_review(calculation=payment)["kpi_rows"]
    assert kpi_rows

    # when the preparer opens it from their queue
    page = new_page()
    login(page, "gov_preparer")
    open_from_queue(page, payment)

    # then the page shows the KPI table and the amounts
    badge = page.locator(".payment-review .state-badge")
    expect(badge).to_have_text(state_label(State.COMPUTED))
    kpi_table = page.locator(".payment-review table:has(thead):has(tr.total)")  # and the score
    expect(kpi_table.locator("tbody tr")).to_have_count(len(kpi_rows) + 1)
    for row in kpi_rows:
        expect(kpi_table).to_contain_text(f"{row['code']} {row['name']}")
    amounts = page.locator(".payment-review table:not(:has(thead)):has(tr.total)")
    expect(amounts).to_contain_text(money_text(payment.full_amount))  # 3,552,000.00
    expect(amounts.locator("tr.total")).to_contain_text(money_text(payment.payable))

    # when they prepare it
    press(page, "prepare")

    # then it awaits approval
    expect(badge).to_have_text(state_label(State.PREPARED))
    expect(page.locator('input[name="prepare"]')).to_have_count(0)
    screenshot(page, "admin-payment-prepared.png")

    # when the approver, in a browser of their own, opens it from their queue and approves it
    page = new_page()
    login(page, "gov_approver")
    open_from_queue(page, payment)
    press(page, "approve")

    # then the page shows it approved
    expect(page.locator(".payment-review .state-badge")).to_have_text(state_label(State.APPROVED))
    expect(page.locator('input[name="approve"]')).to_have_count(0)
    screenshot(page, "admin-payment-approved.png")

    # and so does the database, with both officials on record
    payment.refresh_from_db()
    assert payment.state == State.APPROVED
    assert payment.prepared_by.username == "gov_preparer"
    assert payment.approved_by.username == "gov_approver"
