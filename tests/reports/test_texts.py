"""Officials' 问题及原因 and 建议 through the API: part of the report's inputs (new texts, new
version; the same texts, the same report), written by the contract agency's officials only."""

import pytest
from django.core.exceptions import PermissionDenied

from reports.models import Report
from reports.services import report_render, report_request, report_texts_update
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db

CONTRACT_REPORT = {"contract": "FS-FLOOD-2017-01", "period": "2026-Q2"}
TEXTS = {"findings": "监测数据上报延迟偏高。", "recommendations": "加强站点巡检。"}


def requested(people, callbacks, **kwargs) -> Report:
    with callbacks(execute=False):
        report, _ = report_request(contract=people.contract, period_label="2026-Q2", **kwargs)
    return report


def post_texts(client, report, body, callbacks):
    with callbacks(execute=False) as queued:
        response = client.post(f"/api/v1/reports/{report.pk}/texts/", body, format="json")
    return response, queued


def test_new_texts_make_a_new_version_and_the_same_texts_reuse_it(
    people, api, django_capture_on_commit_callbacks
):
    # given a rendered report without texts
    callbacks = django_capture_on_commit_callbacks
    v1 = report_render(report_id=requested(people, callbacks).pk)
    # when the preparer writes the texts
    response, queued = post_texts(api(people.preparer), v1, TEXTS, callbacks)
    # then: a second version, queued for rendering, with the texts in its inputs
    assert response.status_code == 202, response.data
    body = response.json()
    assert body["version"] == 2 and body["state"] == "pending" and len(queued) == 1
    v2 = Report.objects.get(pk=body["id"])
    assert v2.inputs["texts"] == TEXTS and (v2.findings, v2.recommendations) == tuple(
        TEXTS.values()
    )
    assert v2.inputs_hash != v1.inputs_hash and v2.requested_by == people.preparer
    v1.refresh_from_db()
    assert v1.state == Report.State.READY and v1.findings == ""  # the old version stays
    text = "".join(pdf_text(report_render(report_id=v2.pk).file.read()).split())
    assert "监测数据上报延迟偏高" in text and "加强站点巡检" in text
    # the same texts again (another official of the agency): the same report, nothing queued
    again, queued = post_texts(api(people.approver), v2, TEXTS, callbacks)
    assert again.status_code == 200 and again.json()["id"] == v2.pk and not queued
    # an auditor asking for the report gets the version with the texts
    with callbacks(execute=False) as queued:
        asked = api(people.auditor).post("/api/v1/reports/", CONTRACT_REPORT, format="json")
    assert asked.status_code == 200 and asked.json()["id"] == v2.pk and not queued


def test_a_text_left_out_keeps_the_reports_text(people, api, django_capture_on_commit_callbacks):
    report = requested(people, django_capture_on_commit_callbacks, **TEXTS)
    response, _ = post_texts(
        api(people.preparer), report, {"recommendations": "更换传感器。"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 202
    new = Report.objects.get(pk=response.json()["id"])
    assert (new.findings, new.recommendations) == (TEXTS["findings"], "更换传感器。")


def test_too_long_a_text_is_refused_with_the_field_and_nothing_is_made(
    people, api, django_capture_on_commit_callbacks
):
    report = requested(people, django_capture_on_commit_callbacks)
    response, queued = post_texts(
        api(people.preparer), report, {"findings": "长" * 10001}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400 and "findings" in response.json()
    assert Report.objects.count() == 1 and not queued


def test_only_the_agencys_officials_write_the_texts(
    people, api, django_capture_on_commit_callbacks
):
    report = requested(people, django_capture_on_commit_callbacks)
    refused = {
        people.enterprise: 403,  # sees the report, may not write in it
        people.auditor: 403,  # reads everything, writes nothing
        people.other_enterprise: 403,
        people.other_official: 404,  # another agency's report: outside the scope
        None: 401,
    }
    for user, status in refused.items():
        response, queued = post_texts(api(user), report, TEXTS, django_capture_on_commit_callbacks)
        assert response.status_code == status, user
        assert not queued
    assert Report.objects.count() == 1 and Report.objects.get().findings == ""


def test_the_service_refuses_anyone_but_the_agencys_officials(
    people, django_capture_on_commit_callbacks
):
    for user in (people.enterprise, people.auditor, people.other_official):
        with pytest.raises(PermissionDenied):
            report_texts_update(
                user=user, contract=people.contract, period_label="2026-Q2", **TEXTS
            )
    assert not Report.objects.exists()


def test_a_portfolio_report_has_no_texts(people, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = report_request(
            city=people.contract.project.city, year=2026, user=people.preparer
        )
    response, queued = post_texts(
        api(people.preparer), report, TEXTS, django_capture_on_commit_callbacks
    )
    assert response.status_code == 409 and not queued


def test_texts_set_back_to_an_earlier_versions_stay_the_reports_texts(
    people, api, django_capture_on_commit_callbacks
):
    # given v1 with texts A and v2 with texts B (the same data)
    callbacks = django_capture_on_commit_callbacks
    v1 = requested(people, callbacks, findings="甲", recommendations="")
    response, _ = post_texts(api(people.preparer), v1, {"findings": "乙"}, callbacks)
    v2_id = response.json()["id"]
    # when the official sets the texts back to A: that is v1 again
    response, _ = post_texts(api(people.preparer), v1, {"findings": "甲"}, callbacks)
    assert response.status_code == 200 and response.json()["id"] == v1.pk
    # then the report auditors get is the one with the texts the official gave last
    asked = api(people.auditor).post("/api/v1/reports/", CONTRACT_REPORT, format="json")
    assert asked.json()["id"] == v1.pk != v2_id
    page = api(people.preparer).get("/api/v1/reports/?period=2026-Q2&language=zh-hans")
    assert page.json()["count"] == 2
