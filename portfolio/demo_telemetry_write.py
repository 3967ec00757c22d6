"""The demo's telemetry (portfolio/demo_telemetry.py) into the database, through the services
real data goes through: records by the ingest service (`telemetry_ingest`), the company's
own figure by `measurement_submit`, the evaluations by the bundle import, the city's values
by `period_telemetry_aggregate` (value, sample size, fingerprint, CSV evidence) and the
official's review by `measurement_accept`. The history writer (demo_history_write.py) then
dates them in the past, as it does every other figure."""

import copy
import io
from decimal import Decimal

from contracts.bundles import bundles_import
from contracts.models import Contract, Measurement, Period, TelemetryRecord, TelemetryStream
from contracts.periods import period_bounds
from contracts.selectors import period_mechanism_version
from contracts.services.measurements import measurement_accept, measurement_submit
from contracts.services.periods import period_get_or_create
from contracts.telemetry.aggregation import period_telemetry_aggregate
from contracts.telemetry.ingest import telemetry_ingest
from contracts.telemetry.windows import period_window

from . import demo_telemetry
from .demo_telemetry import COMPANY_FIGURES, STREAMS
from .models import User


def _contract_code(spec) -> str:
    return f"{spec.contract}-01"


def record_periods(bundles: list[dict]) -> dict[str, list[str]]:
    """Contract code → the labels of its last evaluated periods whose telemetry KPIs are
    computed from records (`StreamSpec.record_periods`, oldest first)."""
    by_code = {b["contract"]["code"]: b for b in bundles}
    out = {}
    for spec in STREAMS:
        labels = [e["period"] for e in by_code[_contract_code(spec)]["evaluations"]]
        out[_contract_code(spec)] = labels[-spec.record_periods :]
    return out


def without_record_periods(bundle: dict, periods: dict[str, list[str]]) -> dict:
    """The bundle without the evaluations of its record periods: those periods stay open to
    telemetry until their records are in."""
    labels = periods.get(bundle["contract"]["code"])
    if not labels:
        return bundle
    doc = copy.copy(bundle)
    doc["evaluations"] = [e for e in bundle["evaluations"] if e["period"] not in labels]
    return doc


def streams_ensure() -> None:
    for spec in STREAMS:
        TelemetryStream.objects.get_or_create(
            contract=Contract.objects.get(code=_contract_code(spec)),
            code=spec.code,
            defaults={
                "kind": spec.kind,
                "interval_seconds": spec.interval_seconds,
                "value_field": spec.value_field,
                "status_field": spec.status_field,
            },
        )


def _pending(contract: Contract, labels: list[str]) -> list[str]:
    """The record periods not evaluated yet (absent, or open): a seed that ran before has
    evaluated the others, and their records are in."""
    done = set(
        Period.objects.filter(contract=contract, label__in=labels)
        .exclude(state=Period.State.OPEN)
        .values_list("label", flat=True)
    )
    return [label for label in labels if label not in done]


def records_ingest(bundles: list[dict], periods: dict[str, list[str]]) -> int:
    """Each pending record period's records, one batch (one transaction) per period and
    stream, like a gateway sending them; a period whose stream has records already is left
    as it is. Returns the number of records written."""
    written = 0
    for spec in STREAMS:
        stream = TelemetryStream.objects.select_related("contract").get(
            contract__code=_contract_code(spec), code=spec.code
        )
        labels = periods[_contract_code(spec)]
        for label in _pending(stream.contract, labels):
            first, last = period_bounds(label, stream.contract.frequency)
            start, end = period_window(first, last)
            if TelemetryRecord.objects.filter(stream=stream, ts__gte=start, ts__lt=end).exists():
                continue
            batch = demo_telemetry.period_batch(
                spec.contract, label, first, last, recent=label == labels[-1]
            )
            result = telemetry_ingest(
                stream=stream, body=io.BytesIO(batch.body), content_type="application/x-ndjson"
            )
            written += result.new
    return written


def _evaluations_without_telemetry(bundle: dict, labels: list[str], codes: set[str]) -> dict:
    doc = copy.copy(bundle)
    doc["evaluations"] = [
        {**e, "measurements": [m for m in e["measurements"] if m["kpi"] not in codes]}
        for e in bundle["evaluations"]
        if e["period"] in labels
    ]
    return doc


def _person(party_id: int, role: str) -> User:
    # the demo users first where there are two (as the history writer picks them)
    return User.objects.filter(party_id=party_id, role=role).order_by("date_joined", "pk")[0]


def record_periods_evaluate(bundles: list[dict], periods: dict[str, list[str]], *, today) -> None:
    """For each pending record period: the company's own figure for its telemetry KPI (where
    it reports one), its other figures (the bundle's evaluation, without the telemetry KPIs),
    the city's computation, and the official's acceptance — except in the most recent
    evaluated period of a contract whose company reports its own figure: that one waits for
    review, the two figures side by side."""
    by_code = {b["contract"]["code"]: b for b in bundles}
    for spec in STREAMS:
        code = _contract_code(spec)
        contract = Contract.objects.get(code=code)
        labels = periods[code]
        pending = _pending(contract, labels)
        if not pending:
            continue
        staff = _person(contract.private_party_id, User.Role.ENTERPRISE)
        preparer = _person(contract.government_party_id, User.Role.PREPARER)
        reported_kpi = COMPANY_FIGURES.get(spec.contract)
        for label in pending:
            period, _created = period_get_or_create(contract=contract, label=label)
            if reported_kpi:
                figure = demo_telemetry.company_figure(
                    spec.contract, label, period.starts_on, period.ends_on,
                    recent=label == labels[-1],
                )  # fmt: skip
                measurement_submit(
                    period=period,
                    kpi=contract_kpi(period, reported_kpi),
                    user=staff,
                    source=Measurement.Source.PORTAL,
                    value=Decimal(figure),
                )
        bundles_import(
            documents=[
                (code, _evaluations_without_telemetry(by_code[code], pending, set(spec.kpis)))
            ]
        )
        for label in pending:
            period = Period.objects.get(contract=contract, label=label)
            outcome = period_telemetry_aggregate(period_id=period.pk, today=today)
            if outcome.problems or outcome.skipped:
                raise RuntimeError(f"demo telemetry of {code} {label}: {outcome}")
            if reported_kpi and label == labels[-1]:
                continue  # awaits the official's review
            for measurement in Measurement.objects.filter(
                period=period,
                origin=Measurement.Origin.TELEMETRY,
                is_current=True,
                state=Measurement.State.SUBMITTED,
            ):
                measurement_accept(measurement=measurement, user=preparer)


def contract_kpi(period: Period, code: str):
    return period_mechanism_version(period=period).kpis.get(code=code)
