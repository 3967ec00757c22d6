"""A report rendered by a real worker process on the `reports` queue."""

import hashlib

import pytest

from reports.models import Report
from reports.services import report_request
from tests.reports.conftest import pdf_attachment, pdf_text
from tests.worker import wait_until


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_report_and_a_second_request_reuses_it(people, celery_worker):
    # given: committed data (transactional_db); when: the request commits, the task is sent
    report, created = report_request(
        contract=people.contract, period_label="2026-Q2", user=people.auditor
    )
    assert created
    # then: the worker (queue `reports`) renders it
    ready = wait_until(
        lambda: Report.objects.filter(pk=report.pk, state__in=["ready", "failed"]).first(),
        timeout=120,
    )
    assert ready.state == Report.State.READY, ready.error + "".join(celery_worker.output[-30:])
    assert "reports.tasks.render_report" in "".join(celery_worker.output)
    data = ready.file.read()
    assert hashlib.sha256(data).hexdigest() == ready.sha256
    assert "3,552,000.00" in pdf_text(data)
    assert pdf_attachment(data, "calculation.json")["result"] == people.calculation.result
    # a second request: the stored report, nothing rendered again
    again, created = report_request(
        contract=people.contract, period_label="2026-Q2", user=people.auditor
    )
    assert (again.pk, created, again.sha256) == (ready.pk, False, ready.sha256)
    assert Report.objects.count() == 1


def test_report_tasks_go_to_the_reports_queue():
    from portfolio.celery import app
    from reports.tasks import HARD_TIME_LIMIT, render_report

    assert app.amqp.router.route({}, render_report.name)["queue"].name == "reports"
    assert render_report.time_limit == HARD_TIME_LIMIT and render_report.acks_late
