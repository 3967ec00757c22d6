"""The auditor's report pages in a real browser: ask for a report, wait for it, download it,
and verify the download (a match) and a tampered copy (no match). Saves screenshots."""

from playwright.sync_api import expect

from reports.models import Report
from reports.services import report_render
from tests.browser.pages import screenshot, site_login


def test_the_auditor_requests_downloads_and_verifies_a_report(
    transactional_db, people, new_page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    people.auditor.set_password(settings.DEMO_PASSWORD)
    people.auditor.save()

    # given the auditor on the report library
    page = new_page()
    site_login(page, "auditor", lands_on="项目组合看板")
    page.click("text=报告库")
    expect(page.locator("h1")).to_have_text("报告库")

    # when they request the contract period's report
    form = page.locator("form.request-form").first
    form.locator("[name=contract]").fill(people.contract.code)
    form.locator("[name=period]").fill("2026-Q2")
    form.locator("button").click()

    # then its page waits for the worker, and shows the SHA-256 once it is ready
    expect(page.locator(".report-state")).to_contain_text("%")
    report_render(report_id=Report.objects.get().pk)  # what the worker does
    expect(page.locator(".sha256")).to_have_text(Report.objects.get().sha256, timeout=10_000)
    with page.expect_download() as download:
        page.click("text=下载PDF")
    genuine = tmp_path / "report.pdf"
    download.value.save_as(genuine)
    page.goto("/reports/")
    screenshot(page, "report-library.png")

    # when they verify the downloaded file
    page.click("text=核验报告")
    page.set_input_files("input[name=file]", str(genuine))
    page.click(".verify-form button")

    # then it matches the stored report, embedded data included
    expect(page.locator(".verify-result .match")).to_be_visible()
    expect(page.locator(".verify-result .badge.ok")).to_be_visible()
    screenshot(page, "report-verify-match.png")

    # and a tampered copy does not
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(genuine.read_bytes() + b"%edited\n")
    page.set_input_files("input[name=file]", str(tampered))
    page.click(".verify-form button")
    expect(page.locator(".verify-result .no-match")).to_be_visible()
    screenshot(page, "report-verify-no-match.png")
