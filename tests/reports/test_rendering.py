"""Contract and portfolio reports rendered to real PDF/A-3b files and read back with pypdf."""

import hashlib
import time
from decimal import Decimal

import pytest

from contracts.services.approvals import payment_prepare
from portfolio.models import CityBudget
from reports import rendering
from reports.models import Report
from reports.rendering import FetchRefused, StaticOnlyFetcher
from reports.services import report_render, report_request
from tests.reports.conftest import pdf_attachment, pdf_reader, pdf_text

pytestmark = pytest.mark.django_db


def squeeze(text: str) -> str:
    return "".join(text.split())


def rendered(report: Report) -> Report:
    report = report_render(report_id=report.pk)
    assert report.state == Report.State.READY, report.error
    return report


def request_contract_report(people, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report, created = report_request(
            contract=people.contract, period_label="2026-Q2", user=people.auditor, **kwargs
        )
    return report, created, callbacks


def test_harfbuzz_subsets_the_fonts():
    # without libharfbuzz-subset0 WeasyPrint falls back to fontTools: 6 s a Chinese page
    assert rendering.harfbuzz_subsetting_available()


def test_a_contract_report_is_a_pdf_a3_with_the_calculation_inside(
    people, django_capture_on_commit_callbacks
):
    # given
    report, created, callbacks = request_contract_report(
        people, django_capture_on_commit_callbacks, findings="监测数据上报延迟偏高。"
    )
    assert created and len(callbacks) == 1 and report.state == Report.State.PENDING
    # when
    report = rendered(report)
    data = report.file.read()
    # then: the stored hash is the file's
    assert report.sha256 == hashlib.sha256(data).hexdigest() and report.size == len(data)
    text = squeeze(pdf_text(data))
    assert squeeze(people.contract.title) in text  # 佛山市城市内涝积水监测预警项目PPP合同
    assert "3,552,000.00" in text and "198,000.00" in text and "3,750,000.00" in text
    assert "综合评价结论" in text and "指标分析" in text and "问题及原因" in text
    assert "监测数据上报延迟偏高" in text
    assert "内涝监测站点在线率" in text  # a KPI row
    # the calculation's full inputs and result are embedded
    embedded = pdf_attachment(data, "calculation.json")
    calculation = people.calculation
    assert embedded["inputs"] == calculation.inputs
    assert embedded["result"] == calculation.result
    assert embedded["result"]["payable"] == "3552000.00"
    # PDF/A-3 metadata
    xmp = pdf_reader(data).xmp_metadata
    assert xmp is not None
    xml = xmp.stream.get_data().decode()
    assert "pdfaid:part" in xml and ("<pdfaid:part>3</pdfaid:part>" in xml or 'part="3"' in xml)
    assert pdf_reader(data).metadata.title.startswith("绩效评价报告")


def test_asking_again_for_an_unchanged_report_returns_the_stored_one(
    people, django_capture_on_commit_callbacks
):
    first, _, _ = request_contract_report(people, django_capture_on_commit_callbacks)
    first = rendered(first)
    # when
    again, created, callbacks = request_contract_report(people, django_capture_on_commit_callbacks)
    # then: same report, no new render queued, and rendering it again changes nothing
    assert (again.pk, created, callbacks) == (first.pk, False, [])
    assert again.state == Report.State.READY and again.sha256 == first.sha256
    assert report_render(report_id=first.pk).sha256 == first.sha256
    assert Report.objects.count() == 1


def test_a_changed_calculation_makes_a_new_version_and_the_old_one_stays(
    people, django_capture_on_commit_callbacks
):
    v1, _, _ = request_contract_report(people, django_capture_on_commit_callbacks)
    v1 = rendered(v1)
    # when the payment is prepared (its state and approvals are part of the report)
    payment_prepare(calculation=people.calculation, user=people.preparer)
    v2, created, _ = request_contract_report(people, django_capture_on_commit_callbacks)
    v2 = rendered(v2)
    # then
    assert created and (v1.version, v2.version) == (1, 2) and v1.pk != v2.pk
    assert v1.inputs_hash != v2.inputs_hash
    v1.refresh_from_db()
    assert hashlib.sha256(v1.file.read()).hexdigest() == v1.sha256
    assert "preparer" in pdf_text(v2.file.read())


def test_findings_are_copied_forward_to_the_next_version(
    people, django_capture_on_commit_callbacks
):
    request_contract_report(
        people, django_capture_on_commit_callbacks, findings="甲", recommendations="乙"
    )
    payment_prepare(calculation=people.calculation, user=people.preparer)
    v2, created, _ = request_contract_report(people, django_capture_on_commit_callbacks)
    assert created and (v2.findings, v2.recommendations) == ("甲", "乙")


def test_english_on_request(people, django_capture_on_commit_callbacks):
    report, _, _ = request_contract_report(
        people, django_capture_on_commit_callbacks, language="en"
    )
    text = pdf_text(rendered(report).file.read())
    assert "Overall conclusion" in text and "Indicator analysis" in text
    assert "综合评价结论" not in text
    assert report.version == 1  # its own subject, beside the Chinese one


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("zh-hans", ["可用性扣减", "绩效扣减", "可用性不达标：", "绩效扣分点"]),
        (
            "en",
            [
                "availabilitydeduction",
                "performancededuction",
                "Availabilityfailure:",
                "Performancepoints",
            ],
        ),
    ],
)
def test_deduction_lines_name_their_kind_and_read_in_the_reports_language(
    deductions, language, labels, django_capture_on_commit_callbacks
):
    calculation, _official = deductions
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = report_request(
            contract=calculation.period.contract,
            period_label=calculation.period.label,
            language=language,
        )
    text = squeeze(pdf_text(rendered(report).file.read()))
    assert all(label in text for label in labels), text
    if language == "zh-hans":  # neither a raw kind nor the engine's English wording is left
        assert "availability" not in text.lower() and "performance" not in text.lower()


def test_a_failed_render_records_the_reason(
    people, django_capture_on_commit_callbacks, monkeypatch
):
    report, _, _ = request_contract_report(people, django_capture_on_commit_callbacks)

    def broken(report):
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(rendering, "report_pdf", broken)
    report = report_render(report_id=report.pk)
    assert report.state == Report.State.FAILED and "no fonts today" in report.error
    # asking again queues the same version again
    monkeypatch.undo()
    again, created, callbacks = request_contract_report(people, django_capture_on_commit_callbacks)
    assert (again.pk, created, again.state, len(callbacks)) == (report.pk, False, "pending", 1)
    assert rendered(again).sha256


def test_a_portfolio_report_shows_the_contracts_against_the_budget(
    people, django_capture_on_commit_callbacks
):
    city = people.contract.project.city
    # the year's obligations: four quarters of 3,750,000, computed or not
    CityBudget.objects.create(city=city, year=2026, general_expenditure=Decimal("120000000.00"))
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = report_request(city=city, year=2026, user=people.auditor)
    data = rendered(report).file.read()
    text = squeeze(pdf_text(data))
    assert squeeze(people.contract.title) in text
    assert "3,552,000.00" in text and "120,000,000.00" in text and "15,000,000.00" in text
    assert "12.5%" in text  # 15,000,000 of 120,000,000: above the 10% ceiling
    assert "10%红线" in text and "5%预警线" in text
    embedded = pdf_attachment(data, "calculations.json")
    assert embedded["contracts"][people.contract.code][0]["result"] == people.calculation.result
    assert report.inputs["budget"]["share"] == "12.5"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/print.css",
        "https://example.com/font.woff",
        "data:text/css,body{}",
        f"{rendering.ASSETS_DIR.as_uri()}/../../models.py",
        "file://evil.example/" + str(rendering.ASSETS_DIR / "print.css"),
    ],
)
def test_the_url_fetcher_refuses_anything_but_the_report_assets(url):
    with pytest.raises(FetchRefused):
        StaticOnlyFetcher().fetch(url)


def test_the_url_fetcher_serves_the_print_css():
    response = StaticOnlyFetcher().fetch(f"{rendering.ASSETS_DIR.as_uri()}/print.css")
    assert b"Noto Sans CJK SC" in response.read()


def portfolio_document(city: str) -> dict:
    """The least a portfolio snapshot needs to be attached to a PDF."""
    return {
        "kind": "portfolio",
        "city": {"name": city},
        "year": 2026,
        "contracts": [],
        "totals": {},
        "budget": {"obligations": None},
    }


def test_a_page_asking_for_a_remote_file_fails_instead_of_fetching_it():
    html = '<html><body><img src="http://127.0.0.1:9/x.png">中文</body></html>'
    document = portfolio_document("x")
    with pytest.raises(BaseException, match="Error fetching"):
        rendering.html_to_pdf(html, document=document, title="t")


def test_a_chinese_page_renders_in_well_under_a_second():
    html = (
        '<html><head><link rel="stylesheet" href="print.css"></head><body>'
        "<h1>佛山市城市内涝积水监测预警PPP项目</h1>" + "<p>综合评价结论:应付金额。</p>" * 40
    )
    document = portfolio_document("佛山")
    rendering.html_to_pdf(html, document=document, title="warm-up")
    started = time.perf_counter()
    result = rendering.html_to_pdf(html, document=document, title="t")
    assert time.perf_counter() - started < 1.0
    assert "综合评价结论" in pdf_text(result.pdf)


def test_the_periods_rectification_notices_print_in_problems_and_rectification(
    people, django_capture_on_commit_callbacks, settings, tmp_path
):
    # given two notices of the period: one verified with a closure file, one still open
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from contracts.services import rectifications as r

    settings.MEDIA_ROOT = tmp_path
    period = people.calculation.period
    deadline = timezone.localdate() + timedelta(days=5)
    closed = r.rectification_issue(
        period=period, user=people.preparer, problem="巡检记录缺失两次。",
        required_action="补齐巡检记录。", deadline=deadline,
    )  # fmt: skip
    closure = SimpleUploadedFile("巡检台账.pdf", b"%PDF-1.4\n%%EOF\n")
    r.rectification_answer(
        notice=closed, user=people.enterprise, answer="已补齐并建立台账。", uploads=[closure]
    )
    r.rectification_verify(notice=closed, user=people.approver)
    r.rectification_issue(
        period=period, user=people.preparer, problem="预警响应超时。",
        required_action="优化值班制度。", deadline=deadline,
    )  # fmt: skip
    report, _created, _ = request_contract_report(people, django_capture_on_commit_callbacks)
    # when
    text = squeeze(pdf_text(rendered(report).file.read()))
    # then both problems are listed, and the rectification of each: answered and verified, or not
    assert "整改通知" in text and "整改情况" in text
    assert "巡检记录缺失两次" in text and "预警响应超时" in text
    assert "已补齐并建立台账" in text and "巡检台账.pdf" in text and "已核验" in text
    assert "尚未答复" in text
    assert [n["state"] for n in report.inputs["rectifications"]] == ["verified", "issued"]
