"""New report versions are rate-limited per report and per user (#14 finding 12: ~110
versions of 300 KB each, kept for good, made by one client in minutes)."""

import pytest

from reports.models import Report
from tests.reports.test_texts import post_texts, requested

pytestmark = pytest.mark.django_db


def test_a_report_gets_at_most_n_new_versions_an_hour(
    people, api, settings, django_capture_on_commit_callbacks
):
    # given a limit of 3 versions per report and hour
    settings.REPORT_VERSIONS_PER_REPORT_HOUR = 3
    callbacks = django_capture_on_commit_callbacks
    report = requested(people, callbacks)  # version 1
    client = api(people.preparer)
    # when the preparer writes new texts again and again
    answers = [post_texts(client, report, {"findings": f"第{n}稿"}, callbacks)[0] for n in range(4)]
    # then two more versions, and the next ones are refused with 429 and a reason
    assert [a.status_code for a in answers] == [202, 202, 429, 429]
    assert "3" in answers[2].json()["detail"]  # the limit, in the reason
    assert Report.objects.filter(subject=report.subject).count() == 3
    # texts already given return their existing version: not a new one, not limited
    again = post_texts(client, report, {"findings": "第1稿"}, callbacks)[0]
    assert again.status_code == 200


def test_a_user_gets_at_most_n_new_versions_an_hour(
    people, api, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_VERSIONS_PER_USER_HOUR = 2
    client = api(people.auditor)
    body = {"contract": people.contract.code, "period": "2026-Q2", "language": "zh-hans"}
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post("/api/v1/reports/", body, format="json")
        second = client.post("/api/v1/reports/", {**body, "language": "en"}, format="json")
        city = {"city": people.contract.project.city.name, "year": 2026}
        third = client.post("/api/v1/reports/", city, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert (first.status_code, second.status_code, third.status_code) == (202, 202, 429)
    assert "You asked for 2 new report versions in the last hour" in third.json()["detail"]
    # another user is not held back by the first one's requests
    with django_capture_on_commit_callbacks(execute=False):
        other = api(people.preparer).post("/api/v1/reports/", city, format="json")
    assert other.status_code == 202
