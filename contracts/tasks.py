"""Celery tasks: ids in, a service call, nothing else. All are idempotent (acks_late)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from contracts.models import PaymentCalculation
from contracts.services.notifications import notify_submissions_due
from contracts.services.payment_runs import (
    payment_run_compute_chunk,
    payment_runs_resume,
    payment_runs_start_due,
)
from contracts.services.payments import payments_compute

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),  # a lost connection or a lock timeout
    "max_retries": 3,
    "retry_backoff": True,
}


@shared_task(bind=True, **RETRY)
def compute_payment(self, period_id: int) -> None:
    payments_compute(
        period_ids=[period_id], via=PaymentCalculation.Via.TASK, task_id=self.request.id or ""
    )


@shared_task(bind=True, **RETRY)
def compute_payment_chunk(self, run_id: int, period_ids: list[int]) -> None:
    payment_run_compute_chunk(run_id=run_id, period_ids=period_ids, task_id=self.request.id or "")


@shared_task(**RETRY)
def start_due_payment_runs() -> None:
    payment_runs_start_due(today=timezone.localdate())


@shared_task(**RETRY)
def resume_stalled_payment_runs() -> None:
    started_before = timezone.now() - timedelta(minutes=settings.PAYMENT_RUN_RESUME_MINUTES)
    payment_runs_resume(started_before=started_before)


@shared_task(**RETRY)
def send_submission_reminders() -> None:
    notify_submissions_due(today=timezone.localdate())
