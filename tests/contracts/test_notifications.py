"""E-mails go out from Celery tasks queued when the transaction commits, one task per event,
each message once per event and recipient; an SMTP failure is retried, never a 500."""

import socket
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from contracts.models import Measurement, NotificationSent, Period
from contracts.services.approvals import payment_adjust, payment_approve, payment_prepare
from contracts.services.measurements import measurement_return
from contracts.services.notifications import periods_to_remind
from contracts.tasks import send_payment_prepared, send_submission_reminder

pytestmark = pytest.mark.django_db


def test_preparing_queues_one_task_after_commit_and_it_mails_once(
    people, django_capture_on_commit_callbacks
):
    # when a payment is prepared: nothing is sent in the request, one task waits for commit
    with django_capture_on_commit_callbacks() as queued:
        payment_prepare(calculation=people.calculation, user=people.preparer)
    assert mail.outbox == []
    assert len(queued) == 1

    # when the task runs, twice (a redelivery), each approver gets one message
    send_payment_prepared.apply(args=[people.calculation.pk]).get()
    send_payment_prepared.apply(args=[people.calculation.pk]).get()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "approver2@example.gov.cn", "approver@example.gov.cn",
    ]  # fmt: skip
    assert "FS-FLOOD-2017-01 2026-Q2" in mail.outbox[0].subject


def test_a_bulk_action_in_the_admin_sends_nothing_in_the_request(
    people, client, django_capture_on_commit_callbacks
):
    client.force_login(people.preparer)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("admin:contracts_paymentcalculation_changelist"),
            {"action": "prepare_selected", "_selected_action": [people.calculation.pk]},
        )
    assert response.status_code == 302
    assert len(queued) == 1  # one task per event, queued once the transaction commits
    assert mail.outbox == []  # no SMTP call in the request


def test_an_smtp_failure_is_retried_and_records_nothing(people, settings, caplog):
    # given an SMTP server that refuses connections
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    payment_prepare(calculation=people.calculation, user=people.preparer)

    # when the task runs (apply() runs its retries at once), it is retried up to its limit
    result = send_payment_prepared.apply(args=[people.calculation.pk])
    retries = [r for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert len(retries) == send_payment_prepared.max_retries
    assert isinstance(result.result, ConnectionRefusedError)
    # and nothing counts as sent: a later run sends it
    assert not NotificationSent.objects.exists()


def test_a_payment_approved_meanwhile_is_not_announced(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    send_payment_prepared.apply(args=[people.calculation.pk]).get()
    assert mail.outbox == []


def test_a_return_is_mailed_to_the_enterprise_once(people, django_capture_on_commit_callbacks):
    Measurement.objects.filter(kpi__code="OUT-1").update(state="submitted")
    measurement = Measurement.objects.get(kpi__code="OUT-1")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        measurement_return(measurement=measurement, user=people.preparer, reason="缺少检测报告")
    assert len(queued) == 1 and mail.outbox == []
    from contracts.tasks import send_measurement_returned

    send_measurement_returned.apply(args=[measurement.pk]).get()
    send_measurement_returned.apply(args=[measurement.pk]).get()
    assert [m.to for m in mail.outbox] == [["company@example.gov.cn"]]
    assert "缺少检测报告" in mail.outbox[0].body


def test_a_reminder_is_sent_once_per_period_and_recipient(people):
    # given an open period that ended and is due
    from django.utils import timezone

    today = timezone.localdate()
    Period.objects.update(
        state=Period.State.OPEN,
        ends_on=today.replace(day=1) - timezone.timedelta(days=1),
        due_on=today + timezone.timedelta(days=3),
    )
    period = Period.objects.get()
    # then it is among the morning's reminders (one task per period)
    assert periods_to_remind(today=today) == [period.pk]
    # when the reminder runs on two mornings
    send_submission_reminder.apply(args=[period.pk]).get()
    send_submission_reminder.apply(args=[period.pk]).get()
    # then the enterprise was reminded once
    assert [m.to for m in mail.outbox] == [["company@example.gov.cn"]]
    assert NotificationSent.objects.get().event == f"reminder:period:{period.pk}"
    # and a period submitted meanwhile is not reminded
    Period.objects.update(state=Period.State.SUBMITTED)
    assert periods_to_remind(today=today) == []


def test_a_proposed_adjustment_is_announced_to_the_other_approvers(people):
    payment_prepare(calculation=people.calculation, user=people.preparer)
    payment_approve(calculation=people.calculation, user=people.approver)
    adjustment = payment_adjust(
        calculation=people.calculation, user=people.approver, amount=Decimal("-100"),
        reason="重复计费",
    )  # fmt: skip
    from contracts.tasks import send_adjustment_proposed

    send_adjustment_proposed.apply(args=[adjustment.pk]).get()
    assert [m.to for m in mail.outbox] == [["approver2@example.gov.cn"]]  # not the proposer
