"""Two-factor authentication in a real browser: with OFFICIALS_REQUIRE_2FA on, the demo
preparer logs in with the password, is asked for the code, and a payment decision made
before giving it is refused; with the code from the authenticator (TOTP) the same session
prepares the payment in the admin. No page breaks the Content-Security-Policy."""

import re

from django.conf import settings as django_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from contracts.models import PaymentCalculation
from contracts.selectors import payments_awaiting
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from tests.auth.conftest import totp_code
from tests.browser.pages import screenshot
from tests.browser.test_admin_approval import TODAY, press

CSRF_POST = """async (url) => {
  const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
  const answer = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': csrf}});
  return {status: answer.status, body: await answer.json()};
}"""


def csp_violations(page: Page) -> list[str]:
    """Console messages of refused resources (Chromium reports each CSP violation there)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def test_an_official_needs_the_totp_code_before_a_payment_decision(
    transactional_db, live_server, new_page, settings
):
    settings.OFFICIALS_REQUIRE_2FA = True
    demo_seed(today=TODAY)
    preparer = User.objects.get(username="gov_preparer")
    device = TOTPDevice.objects.create(user=preparer, name="phone", confirmed=True)
    payment = payments_awaiting(user=preparer).order_by("pk").first()
    payment_page = f"/admin/contracts/paymentcalculation/{payment.pk}/change/"

    # when the preparer logs in with the password only, heading for the payment
    page = new_page()
    violations = csp_violations(page)
    page.goto(f"/accounts/login/?next={payment_page}")
    page.fill("#id_username", "gov_preparer")
    page.fill("#id_password", django_settings.DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")

    # then they are asked for the code instead of seeing the payment
    asked = f"/accounts/two-factor/?next={payment_page.replace('/', '%2F')}"
    expect(page).to_have_url(f"{live_server.url}{asked}")
    expect(page.locator("#id_code")).to_be_visible()
    screenshot(page, "two-factor-code.png")

    # and a payment decision from this session is refused
    refused = page.evaluate(CSRF_POST, f"/api/v1/payments/{payment.pk}/prepare/")
    assert refused["status"] == 403
    assert refused["body"]["detail"].startswith(("需要两步验证", "Two-factor"))
    page.goto(payment_page)
    expect(page.locator("#id_code")).to_be_visible()
    payment.refresh_from_db()
    assert payment.state == PaymentCalculation.State.COMPUTED

    # when they give the code from their authenticator app
    page.fill("#id_code", totp_code(device))
    page.click(".login-form button[type=submit]")

    # then the payment opens, and they prepare it
    expect(page).to_have_url(f"{live_server.url}{payment_page}")
    press(page, "prepare")
    screenshot(page, "two-factor-payment-prepared.png")
    payment.refresh_from_db()
    assert payment.state == PaymentCalculation.State.PREPARED
    assert payment.prepared_by == preparer
    assert violations == []

    # and an official with no authenticator yet is shown how to enrol one
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "gov_approver")
    page.fill("#id_password", django_settings.DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    expect(page.locator(".two-factor-setup svg")).to_be_visible()
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    screenshot(page, "two-factor-setup.png")


def test_the_portal_dashboard_and_api_docs_keep_to_the_policy(
    transactional_db, live_server, new_page
):
    demo_seed(today=TODAY)
    for username, url, selector in [
        ("enterprise_a", "/portal/", "h1"),
        ("auditor", "/portfolio/", "h1"),
    ]:
        page = new_page()
        violations = csp_violations(page)
        page.goto(f"/accounts/login/?next={url}")
        page.fill("#id_username", username)
        page.fill("#id_password", django_settings.DEMO_PASSWORD)
        page.click(".login-form button[type=submit]")
        expect(page.locator(selector).first).to_be_visible()
        assert violations == [], (username, violations)
    page = new_page()
    violations = csp_violations(page)
    page.goto("/api/docs/")
    page.wait_for_load_state("load")
    assert violations == []
