"""The dashboard in English at 1280 and 1440 px: units written in words ("CNY 665 million"), no
card wider than the screen, long project names on one line (cut, the full name on hover)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from portfolio.demo_seed import demo_seed
from tests.browser.pages import screenshot, site_login


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_english_dashboard_holds_its_layout(transactional_db, new_page, width):
    # given the demo portfolio, and the auditor's browser in English at this width
    demo_seed(today=date(2026, 11, 23))
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    site_login(page, "auditor", lands_on="项目组合看板")
    page.click(".language-switch button[value=en]")
    expect(page.locator("h1")).to_have_text("Portfolio dashboard")

    # then amounts read in words, no "100 million yuan" units
    figures = page.locator(".city-figures").first
    expect(figures).to_contain_text("CNY")
    expect(page.locator("body")).not_to_contain_text("100 million yuan")

    # and nothing is wider than its card or the screen, no table needs scrolling
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.card, .site-main, .table-scroll')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => e.className + ' ' + (e.querySelector('table') || {}).className)"""
    )
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # and long project names stay on one line, their full name on hover
    name = page.locator(".projects-table a.truncate").first
    assert name.get_attribute("title")
    box = name.bounding_box()
    assert box and box["height"] < 30
    screenshot(page, f"dashboard-en-{width}.png")
