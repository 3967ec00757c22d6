"""Report rendering on its own queue (`reports`): ids in, the service does the rest.

Idempotent (a ready report is left alone), so acks_late is safe: a task whose worker died is
redelivered and renders the report. The hard time limit kills a runaway render; the service
records failures, and only a lost database connection is retried."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from reports.models import Report
from reports.services import report_render

HARD_TIME_LIMIT = 300


# Routed to the `reports` queue by CELERY_TASK_ROUTES ("reports.tasks.*").
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=True,
    time_limit=HARD_TIME_LIMIT,
    soft_time_limit=HARD_TIME_LIMIT - 20,
)
def render_report(report_id: int) -> str:
    try:
        return report_render(report_id=report_id).state
    except SoftTimeLimitExceeded:
        Report.objects.filter(pk=report_id).exclude(state=Report.State.READY).update(
            state=Report.State.FAILED, error=f"time limit exceeded ({HARD_TIME_LIMIT - 20} s)"
        )
        return Report.State.FAILED
