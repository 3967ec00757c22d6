"""Codes normalised (NFKC, trimmed) and restricted (issue 14, finding 10) wherever they
enter: bundles, the admin's forms; lengths checked in Python on every backend."""

import copy
import re

import pytest
from django.contrib import admin
from django.test import RequestFactory

from contracts.bundles import BundleInvalid, bundle_import, validate_bundle
from contracts.models import KPI, Contract
from portfolio.codes import CodeError, code_normalize
from portfolio.models import City, Project, User
from tests.conftest import load_example

# Messages as `import_bundle` prints them (English); test_bundle_language.py checks zh-Hans.
pytestmark = pytest.mark.usefixtures("english")

REFUSED = "must not contain {} (control, format or space characters)"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("ＣＳ-WIFI-01", "CS-WIFI-01"), ("CS-WIFI-01 ", "CS-WIFI-01"), (" OUT-1", "OUT-1"),
     ("可用性", "可用性")],
)  # fmt: skip
def test_codes_are_normalised(raw, normal):
    assert code_normalize(raw, max_length=50) == normal


@pytest.mark.parametrize(
    ("raw", "char"),
    [("CS-WIFI-01\u200b", "U+200B"), ("\u202eCS-WIFI-01", "U+202E"), ("CS\x00", "U+0000"),
     ("CS WIFI", "U+0020"), ("CS\tWIFI", "U+0009"), ("CS\ufeff1", "U+FEFF")],
)  # fmt: skip
def test_invisible_and_control_characters_are_refused(raw, char):
    with pytest.raises(CodeError, match=re.escape(char)):
        code_normalize(raw, max_length=50)


def test_the_length_is_checked_after_normalisation(english):
    with pytest.raises(CodeError, match="at most 50 characters"):
        code_normalize("㎏" * 26, max_length=50)  # 26 characters, 52 once normalised


def with_code(code: str) -> dict:
    doc = copy.deepcopy(load_example("cn-score-coefficient"))
    doc["contract"]["code"] = code
    return doc


@pytest.mark.django_db
@pytest.mark.parametrize("confusable", ["ＣＳ-WIFI-2016-01", "CS-WIFI-2016-01 "])
def test_a_confusable_code_is_the_existing_contract(confusable):
    bundle_import(document=load_example("cn-score-coefficient"))
    result = bundle_import(document=with_code(confusable))
    assert not result.contract_created
    assert list(Contract.objects.values_list("code", flat=True)) == ["CS-WIFI-2016-01"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "char"),
    [("CS-WIFI-2016-01\u200b", "U+200B"), ("\u202eCS-WIFI-2016-01", "U+202E"),
     ("CS-WIFI\x00", "U+0000")],
)  # fmt: skip
def test_a_code_with_invisible_characters_is_refused_and_nothing_written(code, char):
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=with_code(code))
    assert [str(e) for e in refused.value.errors] == [f"contract.code: {REFUSED.format(char)}"]
    assert not Contract.objects.exists()
    assert not Project.objects.exists()


def test_codes_that_normalise_alike_are_duplicates_and_references_follow():
    doc = load_example("cn-score-coefficient")
    doc["contract"]["kpis"][1]["code"] = "ＯＵＴ-1"
    assert "contract.kpis[1].code: duplicate code 'OUT-1'" in map(str, validate_bundle(doc))
    doc = load_example("cn-score-coefficient")
    doc["evaluations"][0]["measurements"][0]["kpi"] = "ＯＵＴ-1"
    assert list(validate_bundle(doc)) == []


def test_code_lengths_are_checked_in_python():
    doc = with_code("C" * 51)
    doc["contract"]["kpis"][0]["code"] = "K" * 31
    assert {str(e) for e in validate_bundle(doc)} >= {
        "contract.code: must be at most 50 characters",
        "contract.kpis[0].code: must be at most 30 characters",
    }


def admin_form(model, data: dict):
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True)
    form_class = admin.site._registry[model].get_form(request)
    return form_class(data=data)


@pytest.mark.django_db
def test_the_admin_normalises_codes_and_refuses_invisible_characters(english):
    bundle_import(document=load_example("cn-score-coefficient"))
    project = Project.objects.get()
    data = {
        "name": "项目", "city": City.objects.get().pk, "sector": "public_wifi",
        "stage": "execution", "operation_mode": "BOT", "return_mechanism": "government_pays",
        "total_investment": "1000.00", "cooperation_years": 10,
    }  # fmt: skip

    taken = admin_form(Project, {**data, "code": "ＣＳ-WIFI-2016"})
    hidden = admin_form(Project, {**data, "code": "NEW\u200b"})
    fine = admin_form(Project, {**data, "code": " NEW-1 "})

    assert "code" in taken.errors  # it is the existing project's code
    assert hidden.errors["code"] == [REFUSED.format("U+200B")]
    assert fine.is_valid(), fine.errors
    assert fine.cleaned_data["code"] == "NEW-1"
    assert Project.objects.get() == project


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["10000000000000.01", "1e999999999"])
def test_the_admin_refuses_amounts_beyond_money_max(amount):
    bundle_import(document=load_example("cn-score-coefficient"))
    data = {
        "code": "NEW-1", "name": "项目", "city": City.objects.get().pk,
        "sector": "public_wifi", "stage": "execution", "operation_mode": "BOT",
        "return_mechanism": "government_pays", "total_investment": amount,
        "cooperation_years": 10,
    }  # fmt: skip
    assert "total_investment" in admin_form(Project, data).errors


@pytest.mark.django_db
def test_the_admin_kpi_form_normalises_its_code():
    bundle_import(document=load_example("cn-score-coefficient"))
    kpi = KPI.objects.get(code="OUT-1")
    data = {
        field: getattr(kpi, field) if getattr(kpi, field) is not None else ""
        for field in ("position", "name", "dimension", "unit", "rule", "direction", "target",
                      "floor", "max_points", "step", "points_per_step", "partial_step")
    }  # fmt: skip
    data["data_source"] = "reported"
    form = admin_form(KPI, {**data, "mechanism_version": kpi.mechanism_version_id, "code": "Ｋ-1"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "K-1"
    too_large = {**data, "mechanism_version": kpi.mechanism_version_id, "code": "K-1"}
    too_large["target"] = "1e13"  # the column holds it; no KPI needs it (SQLite: a float)
    assert list(admin_form(KPI, too_large).errors) == ["target"]
