"""Performance monitoring (绩效监控): each contract's KPIs against their targets over its last
periods, and the alerts officials act on before the money is at stake.

One selector, `contracts_monitoring`, reads any number of contracts in a fixed number of
queries (periods, KPIs, measurements, calculations: one each) and is what the admin's
monitoring page, the dashboard's project page, the compliance flags, the official's home and
the morning e-mail show. What it raises is what the mechanism defines
(payment-mechanisms.md):

- `below_target`: a measured KPI (deduct_per_step, proportional, threshold: they have a
  target and a direction) whose accepted figure missed its target in the last
  `MONITOR_CONSECUTIVE_MISSES` periods with an accepted figure, in a row;
- `near_grade`: the latest score (score_coefficient only: the deductions mechanism has no
  score or grade) within `MONITOR_GRADE_MARGIN` points above the lowest score of its grade
  (优 90, 良 80, 中 60; 差 has no lower grade);
- `missing_figure`: a closed period (its submission due date passed) with KPIs that have no
  accepted figure;
- `falling_trend`: a measured KPI whose last `MONITOR_TREND_PERIODS` accepted figures each did
  worse than the one before (by its direction), on target or not: a warning before it misses.

Manual KPIs have no target (the evaluator gives points): they are charted as points against
their maximum, and only `missing_figure` applies to them. A deductions contract has no KPIs:
nothing is raised for it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.engine.decimals import round_half_up
from contracts.engine.grades import GRADE_FLOORS
from contracts.models import (
    KPI,
    Measurement,
    MechanismVersion,
    PaymentCalculation,
    Period,
)
from contracts.selectors import decimal_text, version_in_force

BELOW_TARGET, NEAR_GRADE, MISSING_FIGURE = "below_target", "near_grade", "missing_figure"
FALLING_TREND = "falling_trend"
ALERT_LABELS = {
    BELOW_TARGET: gettext_lazy("KPI below target in consecutive periods"),
    NEAR_GRADE: gettext_lazy("score near a lower grade"),
    MISSING_FIGURE: gettext_lazy("KPI without an accepted figure"),
    FALLING_TREND: gettext_lazy("KPI getting worse period after period"),
}


@dataclass(frozen=True)
class Alert:
    kind: str  # BELOW_TARGET, NEAR_GRADE, MISSING_FIGURE or FALLING_TREND
    reason: str
    period: str = ""  # the label it is about
    kpi: str = ""  # the KPI code it is about, if one

    @property
    def label(self) -> str:
        return str(ALERT_LABELS[self.kind])


@dataclass
class Point:
    """One period of a KPI's series: the accepted figure (None: none accepted) against the
    target of the mechanism version in force then."""

    label: str
    actual: Decimal | None
    target: Decimal | None
    missed: bool | None  # None: no accepted figure, or no target

    @property
    def actual_text(self) -> str:
        return "—" if self.actual is None else decimal_text(self.actual)

    @property
    def target_text(self) -> str:
        return "—" if self.target is None else decimal_text(self.target)


@dataclass
class Series:
    code: str
    name: str
    unit: str
    direction: str  # higher, lower; blank for manual KPIs
    measured: bool  # has a target (not manual)
    points: list[Point] = field(default_factory=list)


@dataclass
class Score:
    label: str
    score: Decimal | None
    grade: str
    state: str


@dataclass
class ContractMonitoring:
    contract_id: int
    mechanism: str  # the type of the version in force for the latest period
    periods: list[str] = field(default_factory=list)  # labels, oldest first
    series: list[Series] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _missed(direction: str, actual: Decimal, target: Decimal) -> bool:
    return actual < target if direction == KPI.Direction.HIGHER else actual > target


def _grade_floor(score: Decimal) -> tuple[Decimal, str, str] | None:
    """(the lowest score of the score's grade, the grade, the next lower grade), or None for
    the lowest grade."""
    names = [grade for _floor, grade in GRADE_FLOORS] + ["差"]
    for index, (floor, grade) in enumerate(GRADE_FLOORS):
        if score >= floor:
            return floor, grade, names[index + 1]
    return None


def contracts_monitoring(
    *, contract_ids: Iterable[int], today: date, periods: int | None = None
) -> dict[int, ContractMonitoring]:
    """Contract id → its monitoring over its last `periods` (`MONITOR_PERIODS`) ended
    periods, in five queries whatever the number of contracts, periods and KPIs."""
    ids = list(contract_ids)
    window = periods or settings.MONITOR_PERIODS
    misses_needed = settings.MONITOR_CONSECUTIVE_MISSES
    margin = Decimal(str(settings.MONITOR_GRADE_MARGIN))
    result = {pk: ContractMonitoring(contract_id=pk, mechanism="") for pk in ids}
    if not ids:
        return result

    ranked = (
        Period.objects.filter(contract_id__in=ids, ends_on__lt=today)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("contract_id")], order_by=F("ends_on").desc())
        )
        .filter(rank__lte=window)
    )
    by_contract = defaultdict(list)
    rows = ranked.values_list("pk", "contract_id", "label", "starts_on", "due_on")
    for row in sorted(rows, key=lambda r: (r[1], r[3])):
        by_contract[row[1]].append(row)
    # The window's periods as a subquery, not a list of ids: a national portfolio's would
    # pass SQLite's limit of bound parameters.
    period_ids = ranked.values("pk")

    versions = defaultdict(list)
    for version in MechanismVersion.objects.filter(contract_id__in=ids).order_by(
        "contract_id", "effective_from"
    ):
        versions[version.contract_id].append(version)
    kpis = defaultdict(list)
    for kpi in (
        KPI.objects.filter(mechanism_version__contract_id__in=ids)
        .order_by("mechanism_version_id", "position")
        .values("mechanism_version_id", "code", "name", "unit", "rule", "direction", "target")
    ):
        kpis[kpi["mechanism_version_id"]].append(kpi)

    accepted = {}
    for period_id, code, value, points in Measurement.objects.filter(
        period_id__in=period_ids, is_current=True, state=Measurement.State.ACCEPTED
    ).values_list("period_id", "kpi__code", "value", "points"):
        accepted[(period_id, code)] = points if points is not None else value

    calculations = {
        row[0]: row[1:]
        for row in PaymentCalculation.objects.filter(period_id__in=period_ids).values_list(
            "period_id", "score", "grade", "state"
        )
    }

    for contract_id, rows in by_contract.items():
        monitoring = result[contract_id]
        contract_versions = versions.get(contract_id)
        if not contract_versions:
            continue
        series: dict[str, Series] = {}
        missing_by_period = []
        for period_id, _contract, label, starts_on, due_on in rows:
            version = version_in_force(contract_versions, starts_on)
            monitoring.mechanism = version.type
            monitoring.periods.append(label)
            missing = []
            for kpi in kpis[version.pk]:
                measured = kpi["rule"] != KPI.Rule.MANUAL and kpi["target"] is not None
                line = series.setdefault(
                    kpi["code"],
                    Series(kpi["code"], kpi["name"], kpi["unit"], kpi["direction"], measured),
                )
                actual = accepted.get((period_id, kpi["code"]))
                target = kpi["target"] if measured else None
                missed = (
                    _missed(kpi["direction"], actual, target)
                    if actual is not None and target is not None
                    else None
                )
                line.points.append(Point(label, actual, target, missed))
                if actual is None and due_on < today:
                    missing.append(kpi["code"])
            # A KPI of another version has no point in this period: a gap in its series.
            for line in series.values():
                if len(line.points) < len(monitoring.periods):
                    line.points.append(Point(label, None, None, None))
            if missing:
                missing_by_period.append((label, due_on, missing))
            if period_id in calculations:
                score, grade, state = calculations[period_id]
                monitoring.scores.append(Score(label, score, grade, state))
        monitoring.series = list(series.values())
        monitoring.alerts = [
            *_below_target(monitoring.series, misses_needed),
            *_near_grade(monitoring.scores, margin),
            *_missing(missing_by_period),
            *_falling(monitoring.series, settings.MONITOR_TREND_PERIODS),
        ]
    return result


def _below_target(series: list[Series], needed: int) -> list[Alert]:
    alerts = []
    for line in series:
        if not line.measured:
            continue
        figures = [p for p in line.points if p.missed is not None]
        run = figures[-needed:]
        if len(run) < needed or not all(p.missed for p in run):
            continue
        reason = _(
            "%(code)s %(name)s missed its target in the last %(n)s periods with an accepted "
            "figure: %(figures)s."
        ) % {
            "code": line.code,
            "name": line.name,
            "n": needed,
            "figures": _("; ").join(
                _("%(period)s %(actual)s (target %(target)s)")
                % {"period": p.label, "actual": p.actual_text, "target": p.target_text}
                for p in run
            ),
        }
        alerts.append(Alert(BELOW_TARGET, reason, run[-1].label, line.code))
    return alerts


def _falling(series: list[Series], figures_needed: int) -> list[Alert]:
    """Each of the last `figures_needed` accepted figures worse than the one before."""
    alerts = []
    for line in series:
        if not line.measured or figures_needed < 2:
            continue
        run = [p for p in line.points if p.actual is not None][-figures_needed:]
        if len(run) < figures_needed:
            continue
        if all(
            _missed(line.direction, later.actual, earlier.actual)
            for earlier, later in pairwise(run)
        ):
            reason = _(
                "%(code)s %(name)s did worse in each of its last %(n)s figures: %(figures)s."
            )
            alerts.append(
                Alert(
                    FALLING_TREND,
                    reason
                    % {
                        "code": line.code,
                        "name": line.name,
                        "n": figures_needed,
                        "figures": " → ".join(f"{p.label} {p.actual_text}" for p in run),
                    },
                    run[-1].label,
                    line.code,
                )
            )
    return alerts


def _near_grade(scores: list[Score], margin: Decimal) -> list[Alert]:
    """The latest score that counts (a returned payment is void until recomputed)."""
    counted = [
        s for s in scores if s.score is not None and s.state != PaymentCalculation.State.RETURNED
    ]
    if not counted:
        return []
    latest = counted[-1]
    found = _grade_floor(latest.score)
    if found is None:
        return []
    floor, grade, lower = found
    if latest.score - floor > margin:
        return []
    reason = _(
        "%(period)s scored %(score)s (%(grade)s), within %(margin)s points of %(floor)s: "
        "below it the grade is %(lower)s."
    ) % {
        "period": latest.label,
        "score": decimal_text(round_half_up(latest.score, 2)),
        "grade": grade,
        "margin": decimal_text(margin),
        "floor": decimal_text(floor),
        "lower": lower,
    }
    return [Alert(NEAR_GRADE, reason, latest.label)]


def _missing(missing_by_period: list) -> list[Alert]:
    return [
        Alert(
            MISSING_FIGURE,
            _("%(period)s (due %(due)s) has no accepted figure for %(kpis)s.")
            % {"period": label, "due": date_format(due_on), "kpis": ", ".join(codes)},
            label,
        )
        for label, due_on, codes in missing_by_period
    ]


def _alerted_key(agency_id: int | None, today: date) -> str:
    return f"monitoring:alerted:{agency_id or 'all'}:{today.isoformat()}"


def agency_alerted_contracts(
    *, agency_id: int | None, contract_ids, today: date
) -> list[int] | None:
    """The agency's contracts (`contract_ids`, a queryset of its contract ids; agency None:
    every contract) with monitoring alerts on `today`, in the order given, kept in the shared
    cache: stored by the morning digest for the day, or on a miss computed and kept
    `MONITOR_CACHE_SECONDS` — the official's home and the contracts list's filter read it
    without computing every contract's monitoring at each request (a count up to that old:
    the monitoring page itself is always current).

    More than `MONITOR_SYNC_CONTRACTS` contracts are too many to compute within a page: a
    worker computes them (`refresh_monitoring_alerts`, queued once) and None says "not yet"."""
    key = _alerted_key(agency_id, today)
    if (cached := cache.get(key)) is not None:
        return cached
    ids = list(contract_ids[: settings.MONITOR_SYNC_CONTRACTS + 1])
    if len(ids) > settings.MONITOR_SYNC_CONTRACTS:
        if cache.add(f"{key}:queued", True, settings.MONITOR_CACHE_SECONDS):
            from contracts.tasks import refresh_monitoring_alerts  # tasks import this module

            refresh_monitoring_alerts.delay(agency_id, today.isoformat())
        return None
    return agency_alerted_refresh(agency_id=agency_id, contract_ids=ids, today=today)


def agency_alerted_refresh(*, agency_id: int | None, contract_ids, today: date) -> list[int]:
    """Compute and keep (`MONITOR_CACHE_SECONDS`) what `agency_alerted_contracts` reads
    (`contract_ids`: the agency's contract ids, a list or a queryset)."""
    ids = list(contract_ids)
    watched = contracts_monitoring(contract_ids=ids, today=today)
    alerted = [pk for pk in ids if watched[pk].alerts]
    key = _alerted_key(agency_id, today)
    cache.set(key, alerted, settings.MONITOR_CACHE_SECONDS)
    cache.delete(f"{key}:queued")
    return alerted


def agency_alerted_store(*, agency_id: int, today: date, alerted: list[int]) -> None:
    """What the morning digest found, kept for the day (see `agency_alerted_contracts`)."""
    cache.set(_alerted_key(agency_id, today), alerted, 26 * 3600)
