"""The Excel template in a real browser: the company downloads a period's template, fills it in
(one bad cell), uploads it and sees the cell named with nothing saved; fixes it, uploads again,
and the figures appear as drafts in the period form."""

import io

import openpyxl
from playwright.sync_api import expect

from contracts.models import Measurement
from contracts.services.periods import period_get_or_create
from tests.browser.pages import screenshot, site_login

FIGURES = {"OUT-1": 98.5, "OUT-2": 96, "OUT-3": 70, "EFF-1": 91.25, "MGT-1": 14}


def fill(path, figures: dict) -> bytes:
    book = openpyxl.load_workbook(path)
    for row in book.active.iter_rows(min_row=2):
        row[7].value = figures.get(row[2].value)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def xlsx(data: bytes) -> dict:
    return {"name": "填报.xlsx", "mimeType": "application/octet-stream", "buffer": data}


def test_the_company_fills_a_period_from_the_excel_template(
    transactional_db, people, new_page, tmp_path, settings
):
    # given enterprise staff with an open period
    settings.MEDIA_ROOT = tmp_path / "media"
    period = period_get_or_create(contract=people.contract, label="2026-Q3")[0]
    people.enterprise.set_password(settings.DEMO_PASSWORD)
    people.enterprise.save()
    page = new_page()
    site_login(page, people.enterprise.username, lands_on="我的合同")
    page.goto(f"/portal/periods/{period.pk}/")

    # when they download the template and fill it in with one figure mistyped
    with page.expect_download() as download:
        page.click("text=下载 Excel 模板")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    page.set_input_files(
        ".template-upload input[type=file]", xlsx(fill(template, {**FIGURES, "OUT-2": "九十六"}))
    )
    page.click(".template-upload button")

    # then the cell is named and nothing is saved
    expect(page.locator(".template-errors li")).to_have_count(1)
    expect(page.locator(".template-errors li")).to_contain_text("H3:")
    assert not Measurement.objects.filter(period=period).exists()
    screenshot(page, "portal-template-errors.png")

    # when they fix it and upload again
    page.click("text=返回")
    page.set_input_files(".template-upload input[type=file]", xlsx(fill(template, FIGURES)))
    page.click(".template-upload button")

    # then every figure is a draft, shown in the form as typed in the sheet
    expect(page.locator(".messages")).to_contain_text("草稿")
    expect(page.locator("#kpi-OUT-1 input[type=text]")).to_have_value("98.5")
    expect(page.locator("#kpi-EFF-1 input[type=text]")).to_have_value("91.25")
    drafts = Measurement.objects.filter(period=period, state="draft")
    assert drafts.count() == len(FIGURES)
    screenshot(page, "portal-template-saved.png")
