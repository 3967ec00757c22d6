"""Telemetry KPIs at period close: each KPI's value computed from its stream and stored as a
measurement of origin telemetry, submitted for official review like any other, with a
per-device summary (CSV evidence) and the record set's fingerprint (docs/telemetry.md).

Idempotent: the same records give the same measurement, and running again changes nothing;
different records (late data while the period is not locked) make a new revision."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import KPI, Evidence, Measurement, Period
from contracts.selectors import period_mechanism_version
from contracts.telemetry import metrics
from contracts.telemetry.models import TelemetryStream
from contracts.telemetry.windows import period_window


@dataclass
class AggregationOutcome:
    period_id: int
    stored: list[str] = field(default_factory=list)  # KPI codes with a new revision
    unchanged: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # KPI code → why no value
    skipped: str = ""  # why the period was not aggregated at all


def telemetry_kpis(*, period: Period) -> list[KPI]:
    version = period_mechanism_version(period=period)
    if version is None:
        return []
    return list(version.kpis.filter(data_source=KPI.DataSource.TELEMETRY).order_by("position"))


def period_telemetry_aggregate(*, period_id: int, today: date | None = None) -> AggregationOutcome:
    """Compute the period's telemetry KPIs once it has ended, unless it is locked."""
    today = today or timezone.localdate()
    outcome = AggregationOutcome(period_id=period_id)
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            period = Period.objects.select_for_update().select_related("contract").get(pk=period_id)
            if period.state == Period.State.LOCKED:
                outcome.skipped = "period locked"
                return outcome
            if period.ends_on >= today:
                outcome.skipped = "period not ended"
                return outcome
            kpis = telemetry_kpis(period=period)
            streams = {
                s.code: s
                for s in TelemetryStream.objects.filter(
                    contract_id=period.contract_id, code__in=[k.telemetry_stream for k in kpis]
                )
            }
            start, end = period_window(period.starts_on, period.ends_on)
            fingerprints: dict = {}  # one per stream, whatever the number of its KPIs
            for kpi in kpis:
                stream = streams.get(kpi.telemetry_stream)
                if stream is None:
                    outcome.problems[kpi.code] = _("no stream %(code)s") % {
                        "code": kpi.telemetry_stream
                    }
                    continue
                try:
                    result = metrics.metric_compute(
                        stream=stream,
                        spec=metrics.spec_of(kpi),
                        start=start,
                        end=end,
                        interval=stream.interval_seconds,
                        fingerprints=fingerprints,
                    )
                except metrics.MetricError as exc:
                    outcome.problems[kpi.code] = str(exc)
                    continue
                if result.value is None:
                    outcome.problems[kpi.code] = result.problem
                    continue
                if _store(period, kpi, result, stored_files):
                    outcome.stored.append(kpi.code)
                else:
                    outcome.unchanged.append(kpi.code)
            if period.telemetry_problems != outcome.problems:
                period.telemetry_problems = outcome.problems
                period.save(update_fields=["telemetry_problems"])
    except BaseException:
        storage = Evidence._meta.get_field("file").storage
        for name in stored_files:
            if storage.exists(name):
                storage.delete(name)
        raise
    return outcome


def _store(period: Period, kpi: KPI, result: metrics.MetricResult, stored_files) -> bool:
    """A new current telemetry revision unless the current one has the same value from the
    same records. Returns whether one was written."""
    current = (
        Measurement.objects.select_for_update()
        .filter(period=period, kpi=kpi, origin=Measurement.Origin.TELEMETRY, is_current=True)
        .first()
    )
    if (
        current is not None
        and current.value == result.value
        and current.fingerprint == result.fingerprint
        and current.sample_size == result.sample_size
    ):
        return False
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    measurement = Measurement.objects.create(
        period=period,
        kpi=kpi,
        revision=current.revision + 1 if current else 1,
        origin=Measurement.Origin.TELEMETRY,
        source=Measurement.Source.TELEMETRY,
        value=result.value,
        state=Measurement.State.SUBMITTED,
        submitted_at=timezone.now(),
        sample_size=result.sample_size,
        fingerprint=result.fingerprint,
    )
    content = metrics.summary_csv(result)
    evidence = Evidence(
        measurement=measurement,
        original_name=f"telemetry-{kpi.code}-{period.label}.csv",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type="text/csv",
        uploaded_by=None,
    )
    file_field = Evidence._meta.get_field("file")
    name = file_field.generate_filename(evidence, "evidence")
    name = file_field.storage.save(name, ContentFile(content), max_length=file_field.max_length)
    stored_files.append(name)
    evidence.file.name = name
    evidence.save()
    return True


def periods_to_aggregate(*, today: date) -> list[int]:
    """Periods the nightly aggregation computes: ended, not locked, still within their
    submission window (late records can still arrive until the due date), with a telemetry
    KPI in their contract. Each is computed again every night until its due date passes;
    unchanged records change nothing."""
    candidates = (
        Period.objects.filter(ends_on__lt=today, due_on__gte=today - timedelta(days=1))
        .exclude(state=Period.State.LOCKED)
        .filter(
            contract__mechanism_versions__kpis__data_source=KPI.DataSource.TELEMETRY,
        )
        .distinct()
        .order_by("pk")
    )
    return list(candidates.values_list("pk", flat=True))


def period_telemetry_enqueue(*, period: Period, user) -> None:
    """An official asks for the period's telemetry KPIs to be computed again (the review
    page): the worker does it once the request commits. The payment workflow's `compute`
    rule applies (an official of the contract, period not locked)."""
    from contracts.tasks import aggregate_period_telemetry  # tasks import services

    period = Period.objects.select_related("contract", "calculation").get(pk=period.pk)
    workflow.transition_check(period, "compute", user)
    transaction.on_commit(lambda: aggregate_period_telemetry.delay(period.pk))
