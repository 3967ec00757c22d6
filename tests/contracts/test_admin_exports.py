"""Admin lists export their filtered rows (every page) as CSV and XLSX, scoped like the list."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse

from contracts.models import PaymentCalculation, Period
from contracts.services.approvals import payment_prepare
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from portfolio.models import Party
from tests.contracts.conftest import person

pytestmark = pytest.mark.django_db
PAYMENTS = reverse("admin:contracts_paymentcalculation_changelist")


def export(client, model: str, fmt: str, query: str = ""):
    answer = client.get(reverse(f"admin:contracts_{model}_export", args=[fmt]) + query)
    assert answer.status_code == 200, answer
    return b"".join(answer.streaming_content)


@pytest.fixture
def agency(people):
    """The synthetic agency's 120 computed payments (some prepared) and its preparer; the
    people's payment belongs to another agency."""
    synthetic_portfolio_create(contracts=120, kpis=4)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    government = Party.objects.get(name__contains="合成")
    preparer = person("syn-preparer", "preparer", government)
    for calculation in PaymentCalculation.objects.filter(
        period__contract__code__startswith="SYN"
    ).order_by("pk")[:30]:
        payment_prepare(calculation=calculation, user=preparer)
    return preparer


def test_the_export_has_the_filtered_rows_of_every_page_and_none_of_another_agency(
    client, agency, people, monkeypatch
):
    # given the preparer's payment list filtered to computed payments (more than a page)
    monkeypatch.setattr(admin.site._registry[PaymentCalculation], "list_per_page", 50)
    client.force_login(agency)
    listed = client.get(PAYMENTS, {"state": "computed"}).context["cl"]
    assert listed.result_count == 90 and listed.result_count > len(listed.result_list)

    # when exported as CSV with the same query
    text = export(client, "paymentcalculation", "csv", "?state=computed").decode("utf-8")

    # then every filtered row is there, with the list's columns; no other agency's
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 90
    assert {r["合同"] for r in rows} == set(
        PaymentCalculation.objects.filter(
            state="computed", period__contract__code__startswith="SYN"
        ).values_list("period__contract__code", flat=True)
    )
    assert people.contract.code not in text
    assert set(r["状态"] for r in rows) == {"已计算"}


def test_xlsx_money_is_numeric_under_chinese_headers(client, agency):
    client.force_login(agency)
    every = export(client, "paymentcalculation", "xlsx", "?awaiting=all")  # not the queue only
    sheet = openpyxl.load_workbook(io.BytesIO(every)).active
    headers = [c.value for c in sheet[1]]
    payable = headers.index("应付金额")
    cells = [row[payable] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == 120
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in cells)


def test_the_changelist_offers_the_exports_with_its_query(client, agency):
    client.force_login(agency)
    page = client.get(PAYMENTS, {"state": "prepared"}).content.decode()
    url = reverse("admin:contracts_paymentcalculation_export", args=["xlsx"])
    assert f'href="{url}?state=prepared"' in page


def test_the_contract_list_exports_its_compliance_column(client, agency):
    client.force_login(agency)
    text = export(client, "contract", "csv").decode("utf-8")
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert "合规检查" in header


def test_people_without_the_admin_cannot_export(client, people):
    client.force_login(people.enterprise)
    answer = client.get(reverse("admin:contracts_paymentcalculation_export", args=["csv"]))
    assert answer.status_code == 302  # to the admin's login
    client.force_login(people.preparer)
    bogus = client.get(reverse("admin:contracts_paymentcalculation_export", args=["pdf"]))
    assert bogus.status_code == 404
