"""What the browser tests share: the site's login page and the screenshots for the docs."""

from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def site_login(page: Page, username: str, *, lands_on: str, next_url: str = "/") -> None:
    """Log in on the site's login page (not the admin's) as a demo user; the start page then
    sends each role to its place, whose heading is `lands_on`."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(lands_on)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)
