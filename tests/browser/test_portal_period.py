"""The enterprise portal in a real browser: enterprise_a fills an open period of the demo (values
and a PDF), mistypes one value and sees the error beside it with everything else kept, fixes it
and submits; an official returns one item; enterprise_a corrects and resubmits it. Saves the
period page and the returned item as screenshots for the docs, and checks a phone's width."""

import shutil
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect

from contracts.models import Contract, Measurement, Period
from contracts.selectors import period_sheet
from contracts.services.measurements import measurement_return
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from tests.browser.pages import screenshot, site_login

TODAY = date(2026, 11, 23)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def value_input(page: Page, code: str):
    return page.locator(f"#kpi-{code} input[type=text]")


def plausible_figures(period: Period) -> dict[str, str]:
    """A figure near each KPI's target (points: its maximum less one)."""
    figures = {}
    for row in period_sheet(period=period).rows:
        doc = row.document
        figures[doc["code"]] = (
            str(int(row.kpi.max_points) - 1) if doc["rule"] == "manual" else doc["target"]
        )
    return figures


def test_an_enterprise_fills_submits_and_corrects_a_period_in_the_browser(
    transactional_db, live_server, new_page, settings
):
    # given the demo portfolio, its evidence stored in a folder of this test's own
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="portal-browser-"))
    demo_seed(today=TODAY)
    contract = Contract.objects.get(code__startswith="CS-EGOV")
    period = contract.periods.filter(state=Period.State.OPEN).order_by("starts_on").first()
    figures = plausible_figures(period)
    try:
        # when enterprise_a logs in and opens the period from "my contracts"
        page = new_page()
        site_login(page, "enterprise_a", lands_on="我的合同")
        page.locator(f'a[href="/portal/periods/{period.pk}/"]').first.click()
        expect(page.locator("h1")).to_contain_text(period.label)

        # and fills every KPI, attaches a PDF to OUT-1 and mistypes OUT-2
        for code, figure in figures.items():
            value_input(page, code).fill(figure)
        value_input(page, "OUT-2").fill("20兆")
        page.set_input_files("#kpi-OUT-1 input[type=file]", [pdf("WiFi可用率月报.pdf")])
        page.click("button[name=save]")

        # then the error is beside OUT-2, the other values and the file are kept
        expect(page.locator("#kpi-OUT-2 .errorlist")).to_contain_text("请输入数字")
        expect(value_input(page, "OUT-2")).to_have_value("20兆")
        for code, figure in figures.items():
            if code != "OUT-2":
                expect(value_input(page, code)).to_have_value(figure)
        expect(page.locator("#kpi-OUT-1 .evidence")).to_contain_text("WiFi可用率月报.pdf")
        screenshot(page, "portal-period.png")

        # when they fix it and submit the period
        value_input(page, "OUT-2").fill(figures["OUT-2"])
        page.click("button[name=submit]")

        # then the period is submitted and read-only
        expect(page.locator(".messages li.success")).to_have_text("已提交，等待审核。")
        expect(page.locator(".kpi-item input")).to_have_count(0)
        assert Period.objects.get(pk=period.pk).state == Period.State.SUBMITTED

        # when an official returns OUT-1
        out1 = Measurement.objects.get(period=period, kpi__code="OUT-1", is_current=True)
        measurement_return(
            measurement=out1,
            user=User.objects.get(username="gov_preparer"),
            reason="月报未加盖公章，请补充盖章扫描件。",
        )
        page.reload()

        # then the enterprise sees why and who, and only that item is open again
        note = page.locator("#kpi-OUT-1 .return-note")
        expect(note).to_contain_text("月报未加盖公章")
        expect(note).to_contain_text("刘晓峰")  # gov_preparer, by name
        expect(page.locator(".kpi-item input[type=text]")).to_have_count(1)
        screenshot(page, "portal-returned.png")

        # when they attach the stamped report and resubmit
        page.set_input_files("#kpi-OUT-1 input[type=file]", [pdf("WiFi可用率月报（盖章）.pdf")])
        page.click("button[name=submit]")

        # then revision 2 is in review, and the first file stays downloadable in the history
        expect(page.locator(".messages li.success")).to_be_visible()
        current = Measurement.objects.get(period=period, kpi__code="OUT-1", is_current=True)
        assert (current.revision, current.state) == (2, Measurement.State.SUBMITTED)
        history = page.locator("#kpi-OUT-1 .history")
        history.locator("summary").click()
        with page.expect_download() as download:
            history.get_by_text("WiFi可用率月报.pdf").click()
        assert download.value.suggested_filename == "WiFi可用率月报.pdf"

        # and the page fits a phone's width: nothing wider than the screen
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        screenshot(page, "portal-period-phone.png")
    finally:
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
