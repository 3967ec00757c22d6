"""The enterprise portal: my contracts, the period form (drafts, errors next to the field,
submission, returned items), the estimate, and scoping (another company's pages are 404)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from contracts.bundles import bundle_import
from contracts.models import Evidence, Measurement, PaymentCalculation, Period
from contracts.services.evidence import evidence_upload
from contracts.services.measurements import (
    measurement_return,
    measurement_save_draft,
    period_submit,
)
from contracts.services.periods import period_get_or_create
from contracts.synthetic import synthetic_kpis
from tests.portal.conftest import ELF, pdf

pytestmark = pytest.mark.django_db

FIGURES = {"OUT-1": "98.5", "OUT-2": "96", "OUT-3": "70", "EFF-1": "91", "MGT-1": "14"}


def period_url(period) -> str:
    return reverse("portal:period", args=[period.pk])


def fields(period) -> dict[str, str]:
    """The form's field names by KPI code, as the page names them."""
    kpis = {m.code: m.pk for m in period.contract.mechanism_versions.get().kpis.all()}
    return {code: f"value_{pk}" for code, pk in kpis.items()}


def figures_post(period, **overrides) -> dict:
    names = fields(period)
    return {names[code]: overrides.get(code, figure) for code, figure in FIGURES.items()}


def login(client, user):
    client.force_login(user)
    return client


def test_my_contracts_shows_what_is_due_overdue_in_red_and_the_last_payment(client, portal):
    # given an open period past its due date and a computed payment for the period before
    Period.objects.filter(pk=portal.period.pk).update(due_on="2026-01-01")
    # when the enterprise opens the portal
    page = login(client, portal.enterprise).get(reverse("portal:home")).content.decode()
    # then its contract shows the period, overdue, and the last calculation
    assert portal.contract.code in page and portal.other_contract.code not in page
    assert '<span class="overdue">2026-01-01' in page
    assert period_url(portal.period) in page
    assert "74" in page and "中" in page and "3,552,000.00" in page


@pytest.mark.parametrize("who", ["preparer", "approver", "auditor"])
def test_officials_and_auditors_are_sent_to_the_start_page(client, portal, who):
    login(client, getattr(portal, who))
    for url in (
        reverse("portal:home"),
        reverse("portal:contract", args=[portal.contract.pk]),
        period_url(portal.period),
    ):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, reverse("home"))


def test_anonymous_visitors_are_asked_to_log_in(client, portal):
    response = client.get(period_url(portal.period))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_another_companys_pages_are_not_found_even_by_guessing(client, portal):
    # given the enterprise of cn-steps, logged in
    login(client, portal.enterprise)
    guesses = [
        reverse("portal:contract", args=[portal.other_contract.pk]),
        period_url(portal.other_period),
        reverse("portal:contract", args=[999999]),
        period_url(Period(pk=999999)),
    ]
    # then the other company's contract and period are as absent as ids that do not exist
    for url in guesses:
        assert client.get(url).status_code == 404, url
    # and posting to the other company's period writes nothing
    response = client.post(period_url(portal.other_period), {"save": "1"})
    assert response.status_code == 404
    assert not Measurement.objects.filter(period=portal.other_period, state="draft").exists()
    # while its own pages open
    assert client.get(reverse("portal:contract", args=[portal.contract.pk])).status_code == 200
    assert client.get(period_url(portal.period)).status_code == 200


def test_the_period_page_explains_each_kpi_in_chinese_and_in_english(client, portal):
    login(client, portal.enterprise)
    chinese = client.get(period_url(portal.period)).content.decode()
    assert "内涝监测站点在线率" in chinese and "≥ 98%" in chinese
    assert "每低于目标0.5个百分点扣2分（不足一档按一档计），扣完为止" in chinese
    assert "达到目标得满分，否则得0分" in chinese
    english = client.get(period_url(portal.period), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 points off for every 0.5 percentage points below the target" in english


def test_an_invalid_value_is_marked_at_its_field_and_the_rest_is_kept_as_draft(client, portal):
    # given the enterprise filling the period, one value mistyped, a PDF with another
    login(client, portal.enterprise)
    names = fields(portal.period)
    data = figures_post(portal.period, **{"OUT-2": "96,5%"})
    out1 = portal.period.contract.mechanism_versions.get().kpis.get(code="OUT-1")
    data[f"files_{out1.pk}"] = pdf()

    # when they save the draft
    response = client.post(period_url(portal.period), {**data, "save": "1"})

    # then the page comes back with the error next to that field and the typed text kept
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [names["OUT-2"]]
    page = response.content.decode()
    assert 'value="96,5%"' in page and 'value="98.5"' in page
    # and the valid figures and the file are kept as drafts; the mistyped one is not saved
    drafts = Measurement.objects.filter(period=portal.period)
    assert {m.kpi.code: m.state for m in drafts} == {
        "OUT-1": "draft", "OUT-3": "draft", "EFF-1": "draft", "MGT-1": "draft",
    }  # fmt: skip
    assert Evidence.objects.get().measurement.kpi.code == "OUT-1"
    assert "在线率月报.pdf" in page


def test_a_pdf_with_javascript_is_refused_at_its_field_with_the_reason(client, portal):
    # given a PDF that runs a script when opened, attached to OUT-1 (#14 finding 11)
    login(client, portal.enterprise)
    out1 = portal.period.contract.mechanism_versions.get().kpis.get(code="OUT-1")
    script = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
    hostile = SimpleUploadedFile("月报.pdf", script + b" endobj\n%%EOF\n")
    data = {**figures_post(portal.period), f"files_{out1.pk}": hostile, "save": "1"}
    # when the enterprise saves
    response = client.post(period_url(portal.period), data, HTTP_ACCEPT_LANGUAGE="en")
    # then the file field names the reason and nothing is stored
    assert list(response.context["form"].errors) == [f"files_{out1.pk}"]
    assert "月报.pdf: The PDF contains active content (an action run on opening)" in str(
        response.context["form"].errors
    )
    assert not Evidence.objects.exists()


def test_a_file_of_the_wrong_type_is_refused_at_its_field(client, portal):
    # given an executable named like a PDF, attached to OUT-1
    login(client, portal.enterprise)
    out1 = portal.period.contract.mechanism_versions.get().kpis.get(code="OUT-1")
    disguised = SimpleUploadedFile("tool.pdf", ELF, content_type="application/pdf")
    data = {**figures_post(portal.period), f"files_{out1.pk}": disguised, "save": "1"}

    # when the enterprise saves
    response = client.post(period_url(portal.period), data, HTTP_ACCEPT_LANGUAGE="en")

    # then the file field says why; the figures are kept, the file is not
    assert list(response.context["form"].errors) == [f"files_{out1.pk}"]
    assert "tool.pdf: The file&#x27;s content is not PDF" in response.content.decode()
    assert not Evidence.objects.exists()
    assert Measurement.objects.filter(period=portal.period, state="draft").count() == 5


def test_submitting_needs_every_figure_then_the_page_is_read_only(client, portal):
    login(client, portal.enterprise)
    names = fields(portal.period)
    # when the enterprise submits with one figure left empty
    data = figures_post(portal.period, **{"EFF-1": ""})
    response = client.post(period_url(portal.period), {**data, "submit": "1"})
    # then that field says so, and nothing is submitted
    assert list(response.context["form"].errors) == [names["EFF-1"]]
    assert Period.objects.get(pk=portal.period.pk).state == "open"
    # when they fill it in and submit
    data = figures_post(portal.period)
    response = client.post(period_url(portal.period), {**data, "submit": "1"})
    assert response.status_code == 302
    # then the period is submitted and its page has no inputs left
    assert Period.objects.get(pk=portal.period.pk).state == "submitted"
    page = client.get(period_url(portal.period)).content.decode()
    assert '<input type="text"' not in page and 'name="submit"' not in page


def test_a_returned_item_shows_why_and_by_whom_and_is_resubmitted_with_its_history(client, portal):
    # given a submitted period whose OUT-1 came with a file and was returned by the preparer
    for code, figure in FIGURES.items():
        kpi = portal.contract.mechanism_versions.get().kpis.get(code=code)
        field = "points" if kpi.rule == "manual" else "value"
        draft = measurement_save_draft(
            period=portal.period, kpi=kpi, user=portal.enterprise, source="portal",
            **{field: Decimal(figure)},
        )  # fmt: skip
        if code == "OUT-1":
            first_file = evidence_upload(
                measurement=draft, upload=pdf("旧报表.pdf"), user=portal.enterprise
            )
    period_submit(period=portal.period, user=portal.enterprise)
    returned = Measurement.objects.get(period=portal.period, kpi__code="OUT-1")
    measurement_return(measurement=returned, user=portal.preparer, reason="报表未盖章")

    # when the enterprise opens the period
    login(client, portal.enterprise)
    page = client.get(period_url(portal.period)).content.decode()
    # then the reason and the official are shown, and only that item can change
    assert "报表未盖章" in page and "preparer" in page
    form = client.get(period_url(portal.period)).context["form"]
    assert [row.kpi.code for row in form.rows] == ["OUT-1"]

    # when they attach a corrected file and resubmit
    name = f"files_{returned.kpi.pk}"
    response = client.post(
        period_url(portal.period),
        {f"value_{returned.kpi.pk}": "98.5", name: pdf("新报表.pdf"), "submit": "1"},
    )
    assert response.status_code == 302

    # then revision 2 is submitted with the new file; revision 1 keeps the old one
    second = Measurement.objects.get(period=portal.period, kpi__code="OUT-1", is_current=True)
    assert (second.revision, second.state) == (2, "submitted")
    assert [e.original_name for e in second.evidence.all()] == ["新报表.pdf"]
    page = client.get(period_url(portal.period)).content.decode()
    old_link = reverse("evidence-download", args=[first_file.pk])
    assert old_link in page and "报表未盖章" in page
    # and the old file downloads for the enterprise and the official, not for another company
    assert client.get(old_link).status_code == 200
    assert login(client, portal.preparer).get(old_link).status_code == 200
    assert login(client, portal.rival).get(old_link).status_code == 404


def test_the_estimate_comes_from_the_engine_and_is_never_stored(client, portal):
    login(client, portal.enterprise)
    client.post(period_url(portal.period), {**figures_post(portal.period), "save": "1"})
    calculations = PaymentCalculation.objects.count()

    response = client.get(period_url(portal.period))

    preview = response.context["preview"]
    assert preview.result.payable > 0 and preview.result.grade
    assert PaymentCalculation.objects.count() == calculations
    with translation.override("zh-hans"):
        assert "仅为预估" in response.content.decode()


def contract_with_kpis(example, count: int):
    """cn-steps with `count` KPIs and an open period with a draft, a returned revision and a
    file for each KPI."""
    document = example("cn-steps")
    document["contract"]["code"] = f"KPIS-{count}"
    document["project"]["code"] = f"P-KPIS-{count}"
    document["contract"]["kpis"] = synthetic_kpis(count)
    document.pop("evaluations")
    return bundle_import(document=document).contract


@pytest.mark.parametrize("count", [4, 20])
def test_the_period_page_takes_the_same_queries_whatever_the_number_of_kpis(
    client, people, example, count, django_assert_num_queries
):
    # given a period with `count` KPIs, each with a figure, a file and a returned revision
    contract = contract_with_kpis(example, count)
    enterprise = people.enterprise.__class__.objects.create_user(
        username=f"ent{count}", role="enterprise", party=contract.private_party
    )
    period = period_get_or_create(contract=contract, label="2026-Q3")[0]
    for kpi in contract.mechanism_versions.get().kpis.all():
        field = "points" if kpi.rule == "manual" else "value"
        draft = measurement_save_draft(
            period=period, kpi=kpi, user=enterprise, source="portal", **{field: Decimal(1)}
        )
        evidence_upload(measurement=draft, upload=pdf(), user=enterprise)
    period_submit(period=period, user=enterprise)
    measurement_return(
        measurement=Measurement.objects.filter(period=period).first(),
        user=people.preparer.__class__.objects.create_user(
            username=f"gov{count}", role="preparer", party=contract.government_party
        ),
        reason="请补充",
    )
    client.force_login(enterprise)
    # when the page is rendered, then the number of queries does not depend on `count`
    with django_assert_num_queries(10):
        assert client.get(period_url(period)).status_code == 200
