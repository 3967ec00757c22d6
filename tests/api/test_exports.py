"""`?format=csv` and `?format=xlsx` on API lists: the filtered, scoped rows, all of them, with the
JSON's columns; money as numbers, Chinese headers by default, formula-like text escaped."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from contracts.models import Period
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from portfolio.exports import Column, csv_lines, xlsx_file

pytestmark = pytest.mark.django_db


def csv_rows(answer) -> list[dict]:
    text = b"".join(answer.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the UTF-8 only with its byte-order mark
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def portfolio(people):
    """The people's contract (佛山) and 60 synthetic contracts of another agency, computed."""
    synthetic_portfolio_create(contracts=60, kpis=4)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    return people


def test_an_export_has_every_filtered_row_of_the_list_with_its_columns(portfolio, api):
    # given an auditor's filtered list, over more than one page
    client = api(portfolio.auditor)
    listed = client.get("/api/v1/contracts/?q=SYN&page_size=500").json()
    assert listed["count"] == 60

    # when the same list is exported
    answer = client.get("/api/v1/contracts/?q=SYN&format=csv", HTTP_ACCEPT_LANGUAGE="en")

    # then it has all the rows (no pagination) with the JSON's values, headers by label
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = csv_rows(answer)
    assert len(rows) == 60
    first = listed["results"][0]
    assert rows[0]["Code"] == first["code"]
    assert rows[0]["Title"] == first["title"]
    assert rows[0]["City"] == first["city"]
    assert rows[0]["Starts on"] == first["starts_on"]


def test_an_export_is_scoped_like_the_list(portfolio, api):
    # given an official of another agency than the synthetic contracts'
    client = api(portfolio.preparer)

    # when they export every payment they may see
    rows = csv_rows(client.get("/api/v1/payments/?format=csv"))

    # then only their agency's payment is there
    assert len(rows) == client.get("/api/v1/payments/").json()["count"] == 1


def test_xlsx_has_numeric_money_and_chinese_headers(portfolio, api):
    # given the payments list, filtered to one state
    client = api(portfolio.auditor)
    listed = client.get("/api/v1/payments/?state=computed&page_size=500").json()

    # when exported as XLSX with no language asked for
    answer = client.get("/api/v1/payments/?state=computed&format=xlsx")

    # then the sheet has a row per payment, Chinese headers and money as two-place numbers
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert {"合同", "应付全额", "应付金额", "审批人"} <= set(headers)
    assert len(rows) - 1 == listed["count"] == 61
    payable = headers.index("应付金额")
    by_id = {row[0]: row for row in rows[1:]}
    for payment in listed["results"]:
        cell = by_id[payment["id"]][payable]
        assert isinstance(cell, int | float)
        assert Decimal(str(cell)).quantize(Decimal("0.01")) == Decimal(payment["payable"])
    money_cell = next(sheet.iter_rows(min_row=2, max_row=2))[payable]
    assert money_cell.number_format == "#,##0.00"


def test_formula_like_text_is_escaped_and_numbers_are_not():
    columns = [Column("name", "名称"), Column("amount", "金额", "money")]
    rows = [{"name": t, "amount": "-5"} for t in ("=cmd|' /C calc'!A0", "+HYPERLINK(1)", "@SUM")]

    text = "".join(csv_lines(columns, rows))
    sheet = openpyxl.load_workbook(xlsx_file(columns, rows, title="t")).active

    assert [row["名称"] for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))] == [
        "'=cmd|' /C calc'!A0",
        "'+HYPERLINK(1)",
        "'@SUM",
    ]
    assert [c.value for c in sheet["A"][1:]] == ["'=cmd|' /C calc'!A0", "'+HYPERLINK(1)", "'@SUM"]
    assert [c.value for c in sheet["B"][1:]] == [-5, -5, -5]
    assert all(c.data_type == "n" for c in sheet["B"][1:])


def test_the_schema_documents_the_export_formats_on_lists_only(client):
    schema = client.get("/api/schema/?format=json").json()
    listed = schema["paths"]["/api/v1/payments/"]["get"]["responses"]["200"]["content"]
    alone = schema["paths"]["/api/v1/payments/{id}/"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", openpyxl_type()} <= set(listed)
    assert "text/csv" not in alone


def openpyxl_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_refused_filter_of_an_export_answers_in_json(portfolio, api):
    answer = api(portfolio.auditor).get("/api/v1/payments/?format=csv&computed_after=junk")
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert "computed_after" in answer.json()


def test_the_schema_documents_the_format_parameter_on_lists(client):
    schema = client.get("/api/schema/?format=json").json()
    names = [p["name"] for p in schema["paths"]["/api/v1/contracts/"]["get"]["parameters"]]
    assert "format" in names
    alone = schema["paths"]["/api/v1/contracts/{id}/"]["get"].get("parameters", [])
    assert "format" not in [p["name"] for p in alone]
