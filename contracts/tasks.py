"""Celery tasks: ids in, a service call, nothing else. All are idempotent (acks_late)."""

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from contracts.models import PaymentCalculation
from contracts.services import notifications
from contracts.services.payment_runs import (
    payment_run_compute_chunk,
    payment_runs_resume,
    payment_runs_start_due,
)
from contracts.services.payments import payment_compute
from contracts.telemetry.aggregation import period_telemetry_aggregate, periods_to_aggregate
from contracts.telemetry.metrics import RecordsChanged
from contracts.telemetry.partitions import telemetry_partitions_ahead

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),  # a lost connection or a lock timeout
    "max_retries": 3,
    "retry_backoff": True,
}


@shared_task(bind=True, **RETRY)
def compute_payment(self, period_id: int) -> None:
    payment_compute(
        period_id=period_id, via=PaymentCalculation.Via.TASK, task_id=self.request.id or ""
    )


@shared_task(bind=True, **RETRY)
def compute_payment_chunk(self, run_id: int, period_ids: list[int]) -> None:
    payment_run_compute_chunk(run_id=run_id, period_ids=period_ids, task_id=self.request.id or "")


@shared_task(**{**RETRY, "autoretry_for": (OperationalError, RecordsChanged)})
def aggregate_period_telemetry(period_id: int) -> None:
    period_telemetry_aggregate(period_id=period_id)


@shared_task(**RETRY)
def aggregate_ended_periods() -> None:
    """The night's telemetry KPIs: one task per ended period still in its submission window."""
    for period_id in periods_to_aggregate(today=timezone.localdate()):
        aggregate_period_telemetry.delay(period_id)


@shared_task(**RETRY)
def start_due_payment_runs() -> None:
    payment_runs_start_due(today=timezone.localdate())


@shared_task(**RETRY)
def create_telemetry_partitions() -> None:
    telemetry_partitions_ahead(today=timezone.localdate())


@shared_task(**RETRY)
def resume_stalled_payment_runs() -> None:
    started_before = timezone.now() - timedelta(minutes=settings.PAYMENT_RUN_RESUME_MINUTES)
    payment_runs_resume(started_before=started_before)


# E-mails: one task per event, each message sent once (NotificationSent); an SMTP failure
# (smtplib's errors are OSErrors, as are refused connections) is retried, never lost.
MAIL_RETRY = {
    "acks_late": True,
    "autoretry_for": (OSError, OperationalError),
    "max_retries": 8,
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
}


@shared_task(**MAIL_RETRY)
def send_measurement_returned(measurement_id: int) -> None:
    notifications.notify_measurement_returned(measurement_id=measurement_id)


@shared_task(**MAIL_RETRY)
def send_payment_prepared(calculation_id: int) -> None:
    notifications.notify_payment_prepared(calculation_id=calculation_id)


@shared_task(**MAIL_RETRY)
def send_adjustment_proposed(adjustment_id: int) -> None:
    notifications.notify_adjustment_proposed(adjustment_id=adjustment_id)


@shared_task(**MAIL_RETRY)
def send_objection_lodged(objection_id: int) -> None:
    notifications.notify_objection_lodged(objection_id=objection_id)


@shared_task(**MAIL_RETRY)
def send_objection_decided(objection_id: int) -> None:
    notifications.notify_objection_decided(objection_id=objection_id)


@shared_task(**MAIL_RETRY)
def send_submission_reminder(period_id: int) -> None:
    notifications.notify_submission_due(period_id=period_id)


@shared_task(**MAIL_RETRY)
def send_rectification_issued(notice_id: int) -> None:
    notifications.notify_rectification_issued(notice_id=notice_id)


@shared_task(**MAIL_RETRY)
def send_monitoring_alerts(agency_id: int, day: str) -> None:
    notifications.notify_monitoring_alerts(agency_id=agency_id, today=date.fromisoformat(day))


@shared_task(**RETRY)
def refresh_monitoring_alerts(agency_id: int | None, day: str) -> None:
    """An agency's contracts with monitoring alerts (None: every contract's), computed for
    the home when there are too many to compute within a page."""
    from contracts.models import Contract
    from contracts.monitoring import agency_alerted_refresh

    contracts = Contract.objects.order_by("code")
    if agency_id is not None:
        contracts = contracts.filter(government_party_id=agency_id)
    agency_alerted_refresh(
        agency_id=agency_id,
        contract_ids=contracts.values_list("pk", flat=True),
        today=date.fromisoformat(day),
    )


@shared_task(**RETRY)
def send_submission_reminders() -> None:
    """The morning's e-mails: one task per period due (each reminded once per recipient), and
    one per agency with contracts in operation for its officials' digest of monitoring
    alerts and overdue rectification notices (once per agency and day)."""
    today = timezone.localdate()
    for period_id in notifications.periods_to_remind(today=today):
        send_submission_reminder.delay(period_id)
    for agency_id in notifications.agencies_to_alert(today=today):
        send_monitoring_alerts.delay(agency_id, today.isoformat())
