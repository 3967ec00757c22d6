"""Reports say what is final: approved and paid figures are the totals, computed and prepared
ones are provisional and shown apart, returned ones are left out — on the PDF's text and in the
embedded JSON. Real PDFs (WeasyPrint), read back with pypdf."""

import copy
import re
from datetime import date
from decimal import Decimal

import pytest

from contracts.bundles import bundle_import
from contracts.models import PaymentCalculation, Period
from contracts.services.approvals import (
    payment_approve,
    payment_mark_paid,
    payment_prepare,
    payment_return,
)
from contracts.services.payments import payments_compute
from portfolio.models import CityBudget
from portfolio.money import money_text
from reports import charts
from reports.models import Report
from reports.rendering import report_title
from reports.selectors import SNAPSHOT_FORMAT, inputs_hash
from reports.services import report_render, report_request, report_texts_update
from tests.contracts.conftest import person
from tests.reports.conftest import pdf_attachment, pdf_reader, pdf_text

pytestmark = pytest.mark.django_db

State = PaymentCalculation.State
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def squeeze(text: str) -> str:
    return "".join(text.split())


def render(**kwargs):
    report, _created = report_request(**kwargs)
    report = report_render(report_id=report.pk)
    assert report.state == "ready", report.error
    return report, report.file.read()


@pytest.fixture
def year(example, django_capture_on_commit_callbacks):
    """cn-steps with the four quarters of 2026 evaluated, each payment in another state: Q1
    paid, Q2 approved (final), Q3 prepared, Q4 computed (provisional) — and 2025-Q4 returned,
    outside the year — plus a second contract whose 2026-Q2 payment is returned."""
    document = example("cn-steps")
    base = document["evaluations"][0]
    evaluations = []
    for label, out1 in (("2025-Q4", "97"), ("2026-Q1", "95.5"), ("2026-Q2", "96.5"),
                        ("2026-Q3", "94"), ("2026-Q4", "98.5")):  # fmt: skip
        evaluation = copy.deepcopy(base)
        evaluation["period"] = label
        evaluation["measurements"][0]["value"] = out1
        evaluations.append(evaluation)
    document["evaluations"] = evaluations
    contract = bundle_import(document=document).contract
    second = copy.deepcopy(example("cn-steps"))
    second["contract"]["code"] = "FS-FLOOD-2017-02"
    second["contract"]["title"] = "佛山市城市内涝积水监测预警项目二期PPP合同"
    other = bundle_import(document=second).contract
    payments_compute(
        period_ids=list(
            Period.objects.filter(calculation__isnull=True).values_list("pk", flat=True)
        )
        or list(Period.objects.values_list("pk", flat=True)),
        via="command",
    )
    preparer = person("zhang", "preparer", contract.government_party)
    approver = person("wang", "approver", contract.government_party)
    preparer.first_name, preparer.last_name = "伟", "张"
    approver.first_name, approver.last_name = "敏", "王"
    preparer.save()
    approver.save()
    calc = {
        c.period.label: c
        for c in PaymentCalculation.objects.filter(period__contract=contract).select_related(
            "period"
        )
    }
    for label in ("2026-Q1", "2026-Q2"):
        payment_prepare(calculation=calc[label], user=preparer)
        payment_approve(calculation=calc[label], user=approver)
    payment_mark_paid(
        calculation=calc["2026-Q1"], user=approver, reference="GK-1", paid_on=date(2026, 5, 10)
    )
    payment_prepare(calculation=calc["2026-Q3"], user=preparer)
    payment_return(calculation=calc["2025-Q4"], user=preparer, reason="测量数据有误")
    other_calc = PaymentCalculation.objects.get(period__contract=other)
    payment_return(calculation=other_calc, user=preparer, reason="证据不全")
    CityBudget.objects.create(
        city=contract.project.city, year=2026, general_expenditure=Decimal("500000000.00")
    )
    with django_capture_on_commit_callbacks(execute=False):
        yield {
            "contract": contract,
            "other": other,
            "city": contract.project.city,
            "preparer": preparer,
            "approver": approver,
            "calc": {label: PaymentCalculation.objects.get(pk=c.pk) for label, c in calc.items()},
        }


def payables(year, *states) -> Decimal:
    return sum(
        (c.payable for label, c in year["calc"].items() if c.state in states and "2026" in label),
        Decimal(0),
    )


def test_a_portfolio_report_totals_the_final_figures_and_shows_the_rest_apart(year):
    # given payments paid, approved, prepared, computed and returned in 2026
    final = payables(year, State.PAID, State.APPROVED)
    provisional = payables(year, State.PREPARED, State.COMPUTED)
    everything = final + provisional + year["other"].periods.get().calculation.payable
    assert 0 < final < final + provisional < everything
    # when
    _report, data = render(city=year["city"], year=2026)
    # then the PDF's total is the sum of the final figures, the provisional sum apart
    text = squeeze(pdf_text(data))
    assert "合计:2个合同" in text.replace("：", ":") or "合计" in text
    total_row = re.search(r"合计.{0,20}?个合同(.*?)最终绩效扣减合计", text).group(1)
    assert money_text(final) in total_row and money_text(provisional) in total_row
    assert money_text(final + provisional) not in text and money_text(everything) not in text
    assert "暂定" in text and "已退回重算（未列入）：FS-FLOOD-2017-022026-Q2" in text
    assert "FS-FLOOD-2017-012025-Q4" not in text  # returned, but outside the year
    # the two totals are explained in words
    assert "合计仅含最终数（已审批或已支付）" in text
    assert "此处不是第一部分的评价付费" in text and "绩效满分时的应付全额" in text
    # the obligations: all eight quarters of both contracts at full amount, evaluated or not
    assert "PPP项目年度支出责任（绩效满分时的应付全额）30,000,000.00" in text
    # and the embedded JSON carries every figure's state and the same totals
    embedded = pdf_attachment(data, "calculations.json")
    rows = embedded["contracts"][year["contract"].code]
    assert {r["period"]: r["status"] for r in rows} == {
        "2026-Q1": "final", "2026-Q2": "final", "2026-Q3": "provisional", "2026-Q4": "provisional"
    }  # fmt: skip
    assert embedded["contracts"][year["other"].code][0]["status"] == "returned"
    assert Decimal(embedded["totals"]["final"]["payable"]) == final == sum(
        Decimal(r["payable"]) for rows in embedded["contracts"].values() for r in rows
        if r["status"] == "final"
    )  # fmt: skip
    assert Decimal(embedded["totals"]["provisional"]["payable"]) == provisional
    assert embedded["totals"]["returned"] == [{"contract": year["other"].code, "period": "2026-Q2"}]


def test_the_english_reports_are_english_but_for_the_contracts_own_names(year):
    for kwargs in (
        {"contract": year["contract"], "period_label": "2026-Q2"},
        {"city": year["city"], "year": 2026},
    ):
        report, data = render(language="en", **kwargs)
        text = pdf_text(data)
        # the contract's own names (titles, parties, KPIs, reasons) are data, written as given
        names = "\n".join(strings(report.inputs))
        foreign = [run for run in CJK_RUN.findall(squeeze(text)) if run not in squeeze(names)]
        # what is left is the grade in brackets after its English word: "Good (良)"
        assert set(foreign) <= {"优", "良", "中", "差"}, foreign
        for run in foreign:
            assert re.search(rf"(Excellent|Good|Fair|Poor)\s*\({run}\)", text), run
        assert "points" in text or kwargs.get("city")  # the unit 分 of a KPI, in English


def strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for key, value in data.items() if key != "format" for s in strings(value)]
    if isinstance(data, list):
        return [s for item in data for s in strings(item)]
    return []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pdf_title_is_its_heading(year, language):
    for kwargs in (
        {"contract": year["contract"], "period_label": "2026-Q2"},
        {"city": year["city"], "year": 2026},
    ):
        report, data = render(language=language, **kwargs)
        title = pdf_reader(data).metadata.title
        assert title == report_title(report)
        first_page = squeeze(pdf_reader(data).pages[0].extract_text())
        assert first_page.startswith(squeeze(title)) or squeeze(title) in first_page[:200]


def test_approvals_appear_once_with_full_names_and_roles(year):
    report, data = render(contract=year["contract"], period_label="2026-Q1")
    text = squeeze(pdf_text(data))
    # prepared, approved, marked paid: one row each, by name and role, never by login name
    assert text.count("张伟") == 1 and text.count("王敏") == 2
    assert "张伟(政府经办人（编制）,佛山市水利局)" in text
    assert "王敏(政府审批人,佛山市水利局)" in text
    assert "zhang" not in text and "wang" not in text
    assert [a["action"] for a in report.inputs["approvals"]] == ["prepare", "approve", "mark_paid"]
    assert "最终(已支付)" in text.replace("（", "(").replace("）", ")")


def test_a_provisional_payments_report_says_so_and_its_json_carries_the_states(year):
    _report, data = render(contract=year["contract"], period_label="2026-Q3")
    text = squeeze(pdf_text(data))
    assert "暂定：本期付费状态为“已复核”，尚未审批" in text
    embedded = pdf_attachment(data, "calculation.json")
    assert (embedded["state"], embedded["status"]) == ("prepared", "provisional")
    history = {h["period"]: h["status"] for h in embedded["history"]}
    assert history == {
        "2025-Q4": "returned", "2026-Q1": "final", "2026-Q2": "final", "2026-Q3": "provisional"
    }  # fmt: skip
    # the returned period is named under the chart, not drawn
    assert "已退回重算、未显示的考核期：2025-Q4" in text


def test_scores_print_to_the_places_the_mechanism_uses(year):
    PaymentCalculation.objects.filter(pk=year["calc"]["2026-Q4"].pk).update(
        score=Decimal("78.58125")
    )
    report, data = render(contract=year["contract"], period_label="2026-Q4")
    text = squeeze(pdf_text(data))
    assert "78.58" in text and "78.58125" not in text
    assert "保留2位小数显示" in text
    assert report.inputs["calculation"]["score"] == "78.58125"  # exact in the JSON


def test_findings_fall_back_to_the_other_language_with_a_note(year):
    report_texts_update(
        user=year["preparer"],
        contract=year["contract"],
        period_label="2026-Q2",
        findings="监测站点在线率低于目标。",
        recommendations="",
    )
    _report, data = render(contract=year["contract"], period_label="2026-Q2", language="en")
    text = squeeze(pdf_text(data))
    assert "监测站点在线率低于目标" in text
    assert squeeze("Not written in this language; the Chinese text is shown.") in text
    assert text.count(squeeze("Not written in this language")) == 1  # recommendations: none
    assert squeeze("None recorded.") in text


def test_charts_draw_provisional_periods_hollow_and_say_so():
    history = [
        {"period": "2026-Q1", "status": "final", "score": "90", "score_text": "90.00",
         "payable": "100", "full_amount": "100"},
        {"period": "2026-Q2", "status": "provisional", "score": "80", "score_text": "80.00",
         "payable": "80", "full_amount": "100"},
    ]  # fmt: skip
    svg = charts.score_payable_chart(history, labels=charts.chart_labels())
    hollow = 'fill="#ffffff" stroke="#4a7ab5" stroke-width="1" stroke-dasharray="3,1.5"'
    assert svg.count(hollow) == 2  # the provisional bar and its legend swatch
    assert svg.count('fill="#ffffff" stroke="#c0392b"') == 1  # its score point
    assert "Payable (provisional)" in svg or "应付金额（暂定）" in svg


def test_a_report_made_in_the_previous_format_gets_a_new_version(year):
    # given a report stored before this format (its snapshot says ppp-report/2)
    report, _created = report_request(contract=year["contract"], period_label="2026-Q2")
    old = dict(report.inputs, format="ppp-report/2")
    Report.objects.filter(pk=report.pk).update(inputs=old, inputs_hash=inputs_hash(old))
    # when it is asked for again
    again, created = report_request(contract=year["contract"], period_label="2026-Q2")
    # then the current format makes the subject's next version; the old one stays
    assert created and again.version == 2 and again.inputs["format"] == SNAPSHOT_FORMAT
    assert Report.objects.filter(subject=report.subject).count() == 2
