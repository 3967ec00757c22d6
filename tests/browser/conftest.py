"""A headless Debian Chromium driven by Playwright (sync API), against pytest-django's live server.

Without /usr/bin/chromium the browser tests are skipped locally and fail under CI (CI=true).
"""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.contracts.conftest import people  # noqa: F401 — the contracts tests' cast

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
IN_CI = os.environ.get("CI", "").lower() == "true"  # as in tests/conftest.py


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # in between are still synchronous, so Django may allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
        # While that loop runs, Django keeps the test's database connection apart from the usual
        # one (per context, not per thread): close it, or PostgreSQL cannot drop the test database.
        connections.close_all()


@pytest.fixture
def new_page(browser, live_server):
    """Opens a page in a browser context of its own (own cookies: one per official), on the
    live server, as a Chinese-speaking user's browser would ask for it."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
