"""Excel templates in the portal: download a period's (or every open period's) KPIs, fill them
in, upload; errors by cell and nothing saved, or every figure saved as a draft."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import Measurement
from tests.portal.conftest import pdf

pytestmark = pytest.mark.django_db

FIGURES = {"OUT-1": 98.5, "OUT-2": "96", "OUT-3": 70, "EFF-1": "91.25", "MGT-1": 14}


def workbook(answer) -> openpyxl.Workbook:
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(answer.content))


def filled(book: openpyxl.Workbook, figures: dict) -> SimpleUploadedFile:
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        if row[2].value in figures:
            row[7].value = figures[row[2].value]
    output = io.BytesIO()
    book.save(output)
    return SimpleUploadedFile("filled.xlsx", output.getvalue())


def test_a_period_template_lists_each_kpi_with_target_rule_and_validation(client, portal):
    client.force_login(portal.enterprise)
    book = workbook(client.get(reverse("portal:period-template", args=[portal.period.pk])))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("合同", "考核期", "指标代码", "绩效指标")
    assert [r[2] for r in rows[1:]] == list(FIGURES)
    assert all(r[0] == portal.contract.code and r[1] == "2026-Q3" for r in rows[1:])
    assert all(r[6] for r in rows[1:])  # the scoring rule in words
    validated = {
        str(ref) for dv in sheet.data_validations.dataValidation for ref in dv.sqref.ranges
    }
    assert {f"H{n}" for n in range(2, 7)} <= validated


def test_one_bad_cell_saves_nothing_and_names_the_cell(client, portal):
    # given enterprise_a's filled template with one figure that is not a number
    client.force_login(portal.enterprise)
    url = reverse("portal:period-template", args=[portal.period.pk])
    book = workbook(client.get(url))
    upload = filled(book, {**FIGURES, "OUT-3": "seventy"})

    # when they upload it
    answer = client.post(
        reverse("portal:period-upload", args=[portal.period.pk]), {"template": upload}
    )

    # then the cell is named, and no figure was saved
    assert answer.status_code == 400
    errors = answer.context["errors"]
    assert len(errors) == 1 and errors[0].startswith("H4:")
    assert not Measurement.objects.filter(period=portal.period).exists()


def test_a_correct_sheet_saves_every_figure_as_a_draft_as_typed(client, portal):
    client.force_login(portal.enterprise)
    book = workbook(client.get(reverse("portal:period-template", args=[portal.period.pk])))

    answer = client.post(
        reverse("portal:period-upload", args=[portal.period.pk]),
        {"template": filled(book, FIGURES)},
    )

    assert answer.status_code == 302
    saved = {
        m.kpi.code: m.points if m.points is not None else m.value
        for m in Measurement.objects.filter(period=portal.period).select_related("kpi")
    }
    assert saved == {code: Decimal(str(v)) for code, v in FIGURES.items()}
    states = Measurement.objects.filter(period=portal.period).values_list("state", flat=True)
    assert set(states) == {"draft"}
    # and the next template carries the drafts
    again = workbook(client.get(reverse("portal:period-template", args=[portal.period.pk])))
    assert next(again.active.iter_rows(min_row=2, values_only=True))[7] == 98.5


def test_manual_points_above_the_maximum_are_refused(client, portal):
    client.force_login(portal.enterprise)
    book = workbook(client.get(reverse("portal:period-template", args=[portal.period.pk])))
    answer = client.post(
        reverse("portal:period-upload", args=[portal.period.pk]),
        {"template": filled(book, {**FIGURES, "MGT-1": 1000})},
    )
    assert answer.status_code == 400
    assert answer.context["errors"][0].startswith("H6:")


def test_rows_of_another_companys_period_are_refused(client, portal):
    # given enterprise_a's template, its rows rewritten to name the rival's contract period
    client.force_login(portal.enterprise)
    book = workbook(client.get(reverse("portal:template")))
    for row in book.active.iter_rows(min_row=2):
        row[0].value, row[1].value = portal.other_contract.code, portal.other_period.label
    upload = filled(book, FIGURES)
    before = list(Measurement.objects.values_list("pk", "value", "points", "state"))

    # when it is uploaded, then every row is refused and nothing is saved
    answer = client.post(reverse("portal:upload"), {"template": upload})
    assert answer.status_code == 400
    errors = answer.context["errors"]
    assert len(errors) == len(FIGURES) and all(e.startswith("A") for e in errors)
    assert list(Measurement.objects.values_list("pk", "value", "points", "state")) == before
    template = reverse("portal:period-template", args=[portal.other_period.pk])
    assert client.get(template).status_code == 404


def test_the_multi_contract_template_has_every_open_period(client, portal):
    client.force_login(portal.enterprise)
    rows = list(workbook(client.get(reverse("portal:template"))).active.iter_rows(values_only=True))
    assert {(r[0], r[1]) for r in rows[1:]} >= {(portal.contract.code, "2026-Q3")}


def test_a_file_that_is_not_a_workbook_is_refused(client, portal):
    client.force_login(portal.enterprise)
    answer = client.post(
        reverse("portal:period-upload", args=[portal.period.pk]), {"template": pdf()}
    )
    assert answer.status_code == 400
    assert answer.context["errors"]
