"""The reports API: request (202/200), status, streamed download, filters and scope (404)."""

import hashlib

import pytest
from django.test import override_settings

from reports.services import report_render, report_request

pytestmark = pytest.mark.django_db

CONTRACT_REPORT = {"contract": "FS-FLOOD-2017-01", "period": "2026-Q2"}


def post(client, body, callbacks):
    with callbacks(execute=False) as queued:
        response = client.post("/api/v1/reports/", body, format="json")
    return response, queued


def test_request_poll_and_download_a_contract_report(
    people, api, django_capture_on_commit_callbacks
):
    auditor = api(people.auditor)
    # when
    response, queued = post(auditor, CONTRACT_REPORT, django_capture_on_commit_callbacks)
    # then: accepted, rendering queued
    assert response.status_code == 202, response.data
    body = response.json()
    assert body["state"] == "pending" and len(queued) == 1
    assert body["status_url"].endswith(f"/api/v1/reports/{body['id']}/")
    status = auditor.get(body["status_url"]).json()
    assert (status["state"], status["progress"], status["sha256"]) == ("pending", 0, "")
    report_render(report_id=body["id"])  # what the worker does
    status = auditor.get(f"/api/v1/reports/{body['id']}/").json()
    assert status["state"] == "ready" and status["progress"] == 100 and status["version"] == 1
    download = auditor.get(f"/api/v1/reports/{body['id']}/download/")
    assert download.status_code == 200 and download.streaming
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == status["sha256"]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    # asking again: the same report at once (200), nothing queued
    again, queued = post(auditor, CONTRACT_REPORT, django_capture_on_commit_callbacks)
    assert again.status_code == 200 and again.json()["id"] == body["id"] and not queued
    assert again.json()["sha256"] == status["sha256"]


def test_a_report_outside_the_callers_scope_is_not_found(
    people, api, django_capture_on_commit_callbacks
):
    response, _ = post(api(people.preparer), CONTRACT_REPORT, django_capture_on_commit_callbacks)
    report_id = response.json()["id"]
    report_render(report_id=report_id)
    for user in (people.other_official, people.other_enterprise):
        client = api(user)
        assert client.get(f"/api/v1/reports/{report_id}/").status_code == 404
        assert client.get(f"/api/v1/reports/{report_id}/download/").status_code == 404
        assert client.get("/api/v1/reports/").json()["count"] == 0
        response, queued = post(client, CONTRACT_REPORT, django_capture_on_commit_callbacks)
        assert response.status_code == 404 and not queued
    for user in (people.enterprise, people.approver, people.auditor):
        assert api(user).get(f"/api/v1/reports/{report_id}/download/").status_code == 200
    assert api().get(f"/api/v1/reports/{report_id}/").status_code == 401


def test_portfolio_reports_are_for_officials_and_auditors(
    people, api, django_capture_on_commit_callbacks
):
    body = {"city": "佛山", "year": 2026, "language": "en"}
    response, _ = post(api(people.enterprise), body, django_capture_on_commit_callbacks)
    assert response.status_code == 404
    response, queued = post(api(people.auditor), body, django_capture_on_commit_callbacks)
    assert response.status_code == 202 and len(queued) == 1
    report_id = response.json()["id"]
    # the whole city's report is the auditors': officials get their agency's (#14 finding 5)
    assert api(people.other_official).get(f"/api/v1/reports/{report_id}/").status_code == 404
    assert api(people.enterprise).get(f"/api/v1/reports/{report_id}/").status_code == 404


def test_bad_requests(people, api, django_capture_on_commit_callbacks):
    client = api(people.auditor)
    for body in (
        {},
        {"contract": "FS-FLOOD-2017-01"},
        {**CONTRACT_REPORT, "city": "佛山", "year": 2026},
    ):
        response, _ = post(client, body, django_capture_on_commit_callbacks)
        assert response.status_code == 400
    response, _ = post(
        client,
        {"contract": "FS-FLOOD-2017-01", "period": "2031-Q1"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 409
    response, _ = post(
        client, {**CONTRACT_REPORT, "language": "fr"}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400


def test_a_report_not_ready_is_not_downloadable(people, api, django_capture_on_commit_callbacks):
    response, _ = post(api(people.auditor), CONTRACT_REPORT, django_capture_on_commit_callbacks)
    download = api(people.auditor).get(f"/api/v1/reports/{response.json()['id']}/download/")
    assert download.status_code == 409


def test_list_filters(people, api, django_capture_on_commit_callbacks):
    client = api(people.auditor)
    post(client, CONTRACT_REPORT, django_capture_on_commit_callbacks)
    post(client, {"city": "佛山", "year": 2026}, django_capture_on_commit_callbacks)

    def listed(query: str) -> list[str]:
        response = client.get(f"/api/v1/reports/?{query}")
        return [r["kind"] for r in response.json()["results"]]

    assert sorted(listed("city=佛山")) == ["contract", "portfolio"]
    assert listed("project=FS-FLOOD-2017") == ["contract"]
    assert listed("period=2026-Q2") == ["contract"]
    assert listed("state=ready") == []
    assert len(listed("state=pending")) == 2
    assert listed("city=深圳") == []


@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_admin_lists_and_downloads_reports_for_officials(
    people, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = report_request(contract=people.contract, period_label="2026-Q2")
    report_render(report_id=report.pk)
    client.force_login(people.preparer)
    assert client.get("/admin/reports/report/").status_code == 200
    download = client.get(f"/admin/reports/report/{report.pk}/download/")
    assert download.status_code == 200
    client.force_login(people.other_official)
    assert client.get(f"/admin/reports/report/{report.pk}/download/").status_code == 404
