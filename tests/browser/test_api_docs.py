"""The API docs work on a machine without internet access (a government intranet): Swagger UI
and ReDoc load only from this site."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

REDOC_ATTRIBUTION_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/api/docs/", ".opblock-summary-path"), ("/api/redoc/", "[data-section-id^='tag/']")],
)
def test_api_docs_load_with_every_outside_request_blocked(live_server, new_page, path, operation):
    # given a browser that can reach only this site
    page = new_page()
    blocked = []

    def local_only(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)

    # when it opens the docs
    page.goto(path)

    # then the operations are listed, and nothing else was asked of another host than ReDoc's
    # attribution logo, which its script hides when it cannot load
    expect(page.locator(operation).first).to_be_visible(timeout=15_000)
    assert page.locator(operation).count() > 10
    assert [url for url in blocked if url != REDOC_ATTRIBUTION_LOGO] == []
