"""Period runs: every contract period with one label computed on the workers, in chunks."""

import itertools
import math
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from contracts import workflow
from contracts.models import PaymentCalculation, PaymentRun, Period

from .payments import payments_compute


def payment_run_start(*, label: str, user=None, chunk_size: int | None = None) -> PaymentRun:
    """Create a run over the periods labelled `label` that are not locked and not final, and
    fan them out over the workers once the run is committed. A user's run covers only the
    periods they may see (an official: their agency's); without a user, every period."""
    from contracts.tasks import compute_payment_chunk  # tasks import services: import late

    chunk_size = chunk_size or settings.PAYMENT_RUN_CHUNK_SIZE
    period_ids = list(_computable_periods(label, user).values_list("pk", flat=True))
    with transaction.atomic():
        run = PaymentRun.objects.create(
            label=label,
            total=len(period_ids),
            created_by=user,
            state=PaymentRun.State.RUNNING if period_ids else PaymentRun.State.DONE,
            finished_at=None if period_ids else timezone.now(),
        )
        chunks = _even_chunks(period_ids, chunk_size)
        transaction.on_commit(
            lambda: [compute_payment_chunk.delay(run.pk, chunk) for chunk in chunks]
        )
    return run


def _computable_periods(label: str, user=None):
    """The periods a run computes: those the workflow's `compute` allows (not locked; no
    calculation yet, or one in a recomputable state), within what `user` may see."""
    periods = Period.objects.all() if user is None else Period.objects.visible_to(user)
    return (
        periods.filter(label=label)
        .exclude(state=Period.State.LOCKED)
        .filter(
            Q(calculation__isnull=True) | Q(calculation__state__in=workflow.recomputable_states())
        )
        .order_by("pk")
    )


def payment_runs_resume(*, started_before) -> list[PaymentRun]:
    """Send again the periods still missing from runs that have been running since before
    `started_before` (the beat schedule calls this). A broker can lose a task whose worker
    was killed at the wrong moment (Redis: taken from the queue, not yet recorded as
    unacknowledged); chunks are idempotent, so a period sent twice is computed once."""
    from contracts.tasks import compute_payment_chunk  # tasks import services: import late

    stalled = list(
        PaymentRun.objects.filter(
            state=PaymentRun.State.RUNNING, created_at__lt=started_before
        ).select_related("created_by")
    )
    for run in stalled:
        missing = list(
            _computable_periods(run.label, run.created_by)
            .exclude(calculation__run=run)
            .values_list("pk", flat=True)
        )
        chunks = _even_chunks(missing, settings.PAYMENT_RUN_CHUNK_SIZE)
        transaction.on_commit(
            lambda run=run, chunks=chunks: [
                compute_payment_chunk.delay(run.pk, chunk) for chunk in chunks
            ]
        )
    return stalled


def _even_chunks(period_ids: list[int], chunk_size: int) -> list[list[int]]:
    """The fewest chunks of at most `chunk_size` whose number is a multiple of the workers,
    sizes differing by at most one: every worker process computes the same share."""
    workers = settings.PAYMENT_RUN_WORKERS
    count = min(len(period_ids), workers * math.ceil(len(period_ids) / (chunk_size * workers)))
    size, extra = divmod(len(period_ids), count or 1)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [period_ids[start:end] for start, end in itertools.pairwise(bounds)]


def payment_run_compute_chunk(*, run_id: int, period_ids: list[int], task_id: str = "") -> None:
    """Compute one chunk of a run and record the run's progress, in one transaction.

    Safe to run twice (a redelivered task after a worker died): periods this run already
    computed are skipped, problems are recorded once, and progress is counted, not added.
    A chunk the database refuses to write (anything but a lost connection or a lock timeout,
    which the task retries) is not lost: its periods become problems of the run."""
    try:
        with transaction.atomic():
            already = set(
                PaymentCalculation.objects.filter(
                    run_id=run_id, period_id__in=period_ids
                ).values_list("period_id", flat=True)
            )
            outcome = payments_compute(
                period_ids=[pk for pk in period_ids if pk not in already],
                via=PaymentCalculation.Via.RUN,
                run=PaymentRun.objects.get(pk=run_id),
                task_id=task_id,
            )
            _record_progress(run_id, outcome.problems)
    except OperationalError:
        raise
    except DatabaseError as exc:
        with transaction.atomic():
            _record_progress(run_id, _failed(period_ids, exc))


def _failed(period_ids: list[int], exc: DatabaseError) -> list[dict]:
    first_line = (str(exc).splitlines() or [""])[0]
    problem = f"not stored: {type(exc).__name__}: {first_line}"[:500]
    rows = Period.objects.filter(pk__in=period_ids).annotate(code=F("contract__code"))
    return [
        {"contract": code, "period": label, "problem": problem}
        for code, label in rows.order_by("pk").values_list("code", "label")
    ]


def _record_progress(run_id: int, problems: list[dict]) -> None:
    run = PaymentRun.objects.select_for_update().get(pk=run_id)
    known = {(p["contract"], p["period"]) for p in run.problems}
    run.problems += [p for p in problems if (p["contract"], p["period"]) not in known]
    run.failed = len(run.problems)
    run.done = PaymentCalculation.objects.filter(run=run).count()
    if run.done + run.failed >= run.total:
        run.state, run.finished_at = PaymentRun.State.DONE, timezone.now()
    run.save(update_fields=["problems", "failed", "done", "state", "finished_at"])


def payment_runs_start_due(*, today: date) -> list[PaymentRun]:
    """Start a run for every label whose submission window closed yesterday (the beat
    schedule calls this daily); a label that has a run already is left alone."""
    yesterday = today - timedelta(days=1)
    labels = set(Period.objects.filter(due_on=yesterday).values_list("label", flat=True))
    started = set(PaymentRun.objects.filter(label__in=labels).values_list("label", flat=True))
    return [payment_run_start(label=label) for label in sorted(labels - started)]
