"""The report pages: the library (scoped, filtered, with download links and SHA-256), asking
for a report and watching it until ready, and verifying a PDF by upload or SHA-256."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import Report
from reports.services import report_render, report_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_report(people):
    report, _ = report_request(
        user=people.auditor, contract=people.contract, period_label="2026-Q2"
    )
    return report_render(report_id=report.pk)


def pdf_of(report: Report) -> bytes:
    with report.file.open("rb") as file:
        return file.read()


def test_the_library_lists_what_the_user_may_see_with_download_and_sha256(
    people, ready_report, client
):
    client.force_login(people.auditor)
    page = client.get("/reports/?contract=FS-FLOOD-2017-01")
    assert page.status_code == 200
    html = page.content.decode()
    assert ready_report.sha256[:16] in html
    assert f"/api/v1/reports/{ready_report.pk}/download/" in html

    client.force_login(people.other_enterprise)
    html = client.get("/reports/").content.decode()
    assert ready_report.sha256[:16] not in html
    assert client.get(f"/reports/{ready_report.pk}/").status_code == 404


def test_a_filter_narrows_the_library(people, ready_report, client):
    client.force_login(people.auditor)
    assert ready_report.sha256[:16] not in client.get("/reports/?period=2020-Q1").content.decode()
    assert ready_report.sha256[:16] in client.get("/reports/?period=2026-Q2").content.decode()


def test_requesting_a_report_shows_its_progress_until_ready(
    people, client, django_capture_on_commit_callbacks
):
    # given an auditor on the library page
    client.force_login(people.auditor)

    # when they request a contract period's report
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(
            "/reports/request/",
            {"kind": "contract", "contract": "FS-FLOOD-2017-01", "period": "2026-Q2",
             "language": "zh-hans"},
        )  # fmt: skip

    # then they land on its page, which refreshes itself while it renders
    report = Report.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/reports/{report.pk}/"
    assert len(queued) == 1
    pending = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' in pending
    report_render(report_id=report.pk)  # what the worker does
    ready = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in ready
    assert Report.objects.get().sha256 in ready


def test_a_refused_request_says_why(people, client):
    client.force_login(people.auditor)
    answer = client.post(
        "/reports/request/",
        {"kind": "contract", "contract": "FS-FLOOD-2017-01", "period": "2030-Q3",
         "language": "zh-hans"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "2030-Q3" in answer.content.decode()


def test_enterprises_cannot_request_a_city_report(people, client):
    client.force_login(people.enterprise)
    assert (
        "A city's year" not in client.get("/reports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    answer = client.post(
        "/reports/request/", {"kind": "portfolio", "city": "佛山", "year": 2026, "language": "en"}
    )
    assert answer.status_code == 404


def test_verifying_a_downloaded_report_matches_and_a_tampered_copy_does_not(
    people, ready_report, client
):
    client.force_login(people.auditor)
    genuine = pdf_of(ready_report)

    match = client.post(
        "/reports/verify/", {"file": SimpleUploadedFile("r.pdf", genuine, "application/pdf")}
    )
    assert match.context["result"].report == ready_report
    assert match.context["result"].attachment_matches is True

    tampered = genuine + b"%edited\n"  # still opens as the same PDF, but is not ours
    no_match = client.post(
        "/reports/verify/", {"file": SimpleUploadedFile("r.pdf", tampered, "application/pdf")}
    )
    assert no_match.context["result"].report is None
    assert hashlib.sha256(tampered).hexdigest() == no_match.context["result"].sha256

    by_hash = client.post("/reports/verify/", {"sha256": ready_report.sha256.upper()})
    assert by_hash.context["result"].report == ready_report


def test_verify_refuses_what_is_not_a_pdf(people, client):
    client.force_login(people.auditor)
    answer = client.post(
        "/reports/verify/", {"file": SimpleUploadedFile("x.pdf", b"GIF89a", "application/pdf")}
    )
    assert answer.context["result"] is None
    assert answer.context["form"].errors["file"]
