"""Portfolio reports for officials show their own agency's contracts only; the city's budget
figures stay whole; auditors keep the whole city (#14 finding 5: any official got any city's
report, whose calculations.json held every contract's inputs and payment lines)."""

import pytest

from contracts.bundles import bundle_import
from contracts.models import Period
from contracts.services.payments import payments_compute
from portfolio.models import Project
from reports.models import Report
from reports.services import report_render, report_request
from tests.reports.conftest import pdf_attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_agencies(people, example):
    """Foshan's water bureau contract (people.contract) and another agency's contract moved
    to the same city, both computed for 2026."""
    other = bundle_import(document=example("cn-score-coefficient")).contract
    Project.objects.filter(pk=other.project_id).update(city=people.contract.project.city)
    payments_compute(period_ids=[Period.objects.get(contract=other).pk], via="command")
    return other


def portfolio(user, callbacks) -> Report:
    city = Report._meta.get_field("city").related_model.objects.get(name="佛山")
    with callbacks(execute=False):
        report, _ = report_request(city=city, year=2026, user=user)
    return report


def test_an_official_gets_only_the_own_agencys_contracts(
    people, two_agencies, django_capture_on_commit_callbacks
):
    # when the water bureau's preparer asks for Foshan's 2026 report
    report = portfolio(people.preparer, django_capture_on_commit_callbacks)
    # then its rows and calculations.json hold the bureau's contract only
    codes = [row["code"] for row in report.inputs["contracts"]]
    assert codes == [people.contract.code]
    assert report.inputs["agency"] == people.contract.government_party.name
    embedded = pdf_attachment(report_render(report_id=report.pk).file.read(), "calculations.json")
    assert list(embedded["contracts"]) == [people.contract.code]
    # and the budget line is the whole city's, both contracts' obligations
    whole = portfolio(people.auditor, django_capture_on_commit_callbacks)
    assert report.inputs["budget"] == whole.inputs["budget"]
    assert {row["code"] for row in whole.inputs["contracts"]} == {
        people.contract.code,
        two_agencies.code,
    }
    assert whole.inputs["agency"] is None


def test_an_official_does_not_see_the_city_or_another_agencys_report(
    people, two_agencies, django_capture_on_commit_callbacks, api
):
    callbacks = django_capture_on_commit_callbacks
    whole = portfolio(people.auditor, callbacks)
    own = portfolio(people.preparer, callbacks)
    elsewhere = portfolio(people.other_official, callbacks)
    assert len({whole.subject, own.subject, elsewhere.subject}) == 3
    assert elsewhere.inputs["contracts"] == []  # no contract of theirs in Foshan
    # the auditor reads all three; each official their agency's only
    assert set(Report.objects.visible_to(people.auditor)) >= {whole, own, elsewhere}
    client = api(people.preparer)
    assert client.get(f"/api/v1/reports/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/reports/{whole.pk}/").status_code == 404
    assert client.get(f"/api/v1/reports/{elsewhere.pk}/").status_code == 404
    # the API's request makes the official's scoped report, never the whole city's
    with callbacks(execute=False):
        asked = client.post("/api/v1/reports/", {"city": "佛山", "year": 2026}, format="json")
    assert asked.json()["id"] == own.pk


def test_the_payment_run_page_shows_an_official_their_agencys_problems_only(
    people, two_agencies, client
):
    # given a run with a problem in each agency's contract
    from django.urls import reverse

    from contracts.models import PaymentRun

    run = PaymentRun.objects.create(
        label="2026-Q2", total=2, failed=2,
        problems=[
            {"contract": people.contract.code, "period": "2026-Q2", "problem": "missing OUT-1"},
            {"contract": two_agencies.code, "period": "2026", "problem": "missing OUT-9"},
        ],
    )  # fmt: skip
    url = reverse("admin:contracts_paymentrun_change", args=[run.pk])
    # when the water bureau's preparer opens it: their contract's problem only
    client.force_login(people.preparer)
    page = client.get(url).content.decode()
    assert "missing OUT-1" in page and "missing OUT-9" not in page
    assert two_agencies.code not in page
    # the other agency's official: theirs only
    client.force_login(
        type(people.preparer).objects.create_user(
            "cs_official", role="preparer", party=two_agencies.government_party, is_staff=True
        )
    )
    page = client.get(url).content.decode()
    assert "missing OUT-9" in page and "missing OUT-1" not in page
    # the run itself is stored whole
    run.refresh_from_db()
    assert len(run.problems) == 2
