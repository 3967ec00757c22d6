"""Compliance flags: one selector, shown on the dashboard and in the contract admin.

Each flag has a code, a severity (the dashboard's badge), a translated label and a reason that
names the facts behind it. The thresholds are settings (portfolio/settings/base.py)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portfolio.models import Project
from portfolio.selectors import city_fiscal_years

from . import monitoring
from .engine.terms import availability_linked_share
from .models import (
    COUNTS,
    LATE,
    Contract,
    Measurement,
    Milestone,
    PaymentCalculation,
    Period,
    RectificationNotice,
    overdue_rectification_q,
)
from .monitoring import ContractMonitoring
from .selectors import mechanism_terms_by_contract, terms_in_force


class FlagCode(models.TextChoices):
    LINKED_SHARE = "linked_share", gettext_lazy("availability payment too little linked")
    # xgettext:no-python-format
    CITY_OVER_CEILING = "city_over_ceiling", gettext_lazy("city over the 10% ceiling")
    # xgettext:no-python-format
    CITY_OVER_WARNING = "city_over_warning", gettext_lazy("city over the 5% line")
    NO_EVALUATION = "no_evaluation", gettext_lazy("no evaluation for over a year")
    OVERDUE_MILESTONES = "overdue_milestones", gettext_lazy("overdue milestones")
    REVIEW_WAITING = "review_waiting", gettext_lazy("measurements waiting for review")
    LATE_SUBMISSIONS = "late_submissions", gettext_lazy("periods submitted late")
    OVERDUE_RECTIFICATION = "overdue_rectification", gettext_lazy("overdue rectification notices")
    # The monitoring alerts (contracts/monitoring.py), one code per kind.
    KPI_BELOW_TARGET = "kpi_below_target", gettext_lazy("KPI below target in consecutive periods")
    NEAR_GRADE = "near_grade", gettext_lazy("score near a lower grade")
    KPI_FIGURE_MISSING = "kpi_figure_missing", gettext_lazy("KPI without an accepted figure")
    KPI_FALLING = "kpi_falling", gettext_lazy("KPI getting worse period after period")


# Monitoring alert kind → its flag.
ALERT_FLAGS = {
    monitoring.BELOW_TARGET: FlagCode.KPI_BELOW_TARGET,
    monitoring.NEAR_GRADE: FlagCode.NEAR_GRADE,
    monitoring.MISSING_FIGURE: FlagCode.KPI_FIGURE_MISSING,
    monitoring.FALLING_TREND: FlagCode.KPI_FALLING,
}


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    severity: str  # "danger" or "warning": the badge class
    reason: str

    @property
    def label(self) -> str:
        return FlagCode(self.code).label


@dataclass
class ComplianceFlags:
    contracts: dict[int, list[Flag]] = field(default_factory=dict)
    cities: dict[int, list[Flag]] = field(default_factory=dict)
    # The monitoring the alert flags come from, per contract (shown beside them).
    monitoring: dict[int, ContractMonitoring] = field(default_factory=dict)

    def for_contract(self, contract: Contract) -> list[Flag]:
        """The contract's own flags, then its city's."""
        return self.contracts.get(contract.pk, []) + self.cities.get(contract.project.city_id, [])


def compliance_flags(*, contracts: Iterable[Contract], today: date) -> ComplianceFlags:
    """The flags of these contracts (each with its project loaded) and of their cities, in a
    fixed number of queries whatever their number."""
    contracts = list(contracts)
    ids = [c.pk for c in contracts]
    flags = ComplianceFlags(contracts={pk: [] for pk in ids})
    _linked_share(flags, contracts, today)
    _no_evaluation(flags, contracts, today)
    _overdue_milestones(flags, ids, today)
    _review_waiting(flags, ids, today)
    _late_submissions(flags, ids, today)
    _overdue_rectifications(flags, ids, today)
    _monitoring_alerts(flags, ids, today)
    _city_budget(flags, {c.project.city_id for c in contracts}, today)
    return flags


def _percent(share) -> str:
    return f"{share * 100:.1f}".removesuffix(".0")


def _linked_share(flags: ComplianceFlags, contracts: list[Contract], today: date) -> None:
    minimum = settings.PERFORMANCE_LINKED_MIN_SHARE
    terms = mechanism_terms_by_contract(contract_ids=[c.pk for c in contracts])
    for contract in contracts:
        if not terms[contract.pk]:
            continue
        share = availability_linked_share(terms_in_force(terms[contract.pk], today).mechanism)
        if share is not None and share < minimum:
            reason = _(
                "%(share)s%% of the availability payment is linked to performance; "
                "财办金〔2017〕92号 requires at least %(minimum)s%%."
            ) % {"share": _percent(share), "minimum": _percent(minimum)}
            flags.contracts[contract.pk].append(Flag(FlagCode.LINKED_SHARE, "danger", reason))


def _no_evaluation(flags: ComplianceFlags, contracts: list[Contract], today: date) -> None:
    """Contracts in operation (execution stage, started over the limit ago, not ended) whose
    last payment calculation is older than the limit, or that have none."""
    cutoff = today - timedelta(days=settings.EVALUATION_MAX_DAYS)
    operating = [
        c
        for c in contracts
        if c.project.stage == Project.Stage.EXECUTION and c.starts_on < cutoff <= c.ends_on
    ]
    last = dict(
        PaymentCalculation.objects.filter(period__contract__in=[c.pk for c in operating])
        .values("period__contract")
        .annotate(last=Max("computed_at"))
        .values_list("period__contract", "last")
    )
    for contract in operating:
        evaluated = last.get(contract.pk)
        if evaluated is not None and evaluated.date() >= cutoff:
            continue
        if evaluated is None:
            reason = _("In operation since %(date)s without any evaluation.") % {
                "date": date_format(contract.starts_on)
            }
        else:
            reason = _("Last evaluated on %(date)s, more than %(days)s days ago.") % {
                "date": date_format(evaluated.date()),
                "days": settings.EVALUATION_MAX_DAYS,
            }
        flags.contracts[contract.pk].append(Flag(FlagCode.NO_EVALUATION, "danger", reason))


def _overdue_milestones(flags: ComplianceFlags, ids: list[int], today: date) -> None:
    overdue = Milestone.objects.filter(
        contract__in=ids, met_on__isnull=True, due_on__lt=today
    ).order_by("contract_id", "due_on")
    by_contract: dict[int, list[Milestone]] = {}
    for milestone in overdue:
        by_contract.setdefault(milestone.contract_id, []).append(milestone)
    for contract_id, milestones in by_contract.items():
        reason = "; ".join(
            _("%(code)s %(name)s, due %(date)s")
            % {"code": m.code, "name": m.name, "date": date_format(m.due_on)}
            for m in milestones
        )
        flags.contracts[contract_id].append(Flag(FlagCode.OVERDUE_MILESTONES, "warning", reason))


def _review_waiting(flags: ComplianceFlags, ids: list[int], today: date) -> None:
    cutoff = today - timedelta(days=settings.REVIEW_MAX_DAYS)
    waiting = (
        Measurement.objects.filter(
            COUNTS,
            period__contract__in=ids,
            is_current=True,
            state=Measurement.State.SUBMITTED,
            submitted_at__date__lt=cutoff,
        )
        .values("period__contract")
        .annotate(count=Count("pk"))
        .values_list("period__contract", "count")
    )
    for contract_id, count in waiting:
        reason = _("%(count)s measurements submitted more than %(days)s days ago.") % {
            "count": count,
            "days": settings.REVIEW_MAX_DAYS,
        }
        flags.contracts[contract_id].append(Flag(FlagCode.REVIEW_WAITING, "warning", reason))


def _late_submissions(flags: ComplianceFlags, ids: list[int], today: date) -> None:
    """Periods due within the last `EVALUATION_MAX_DAYS` that the enterprise submitted after
    their due date (accepted all the same; the lateness is recorded)."""
    since = today - timedelta(days=settings.EVALUATION_MAX_DAYS)
    late = (
        Period.objects.filter(LATE, contract__in=ids, due_on__gte=since)
        .order_by("contract_id", "due_on")
        .values_list("contract_id", "label", "due_on", "submitted_at")
    )
    by_contract: dict[int, list[str]] = {}
    for contract_id, label, due_on, submitted_at in late:
        by_contract.setdefault(contract_id, []).append(
            _("%(period)s, due %(due)s, submitted %(submitted)s")
            % {
                "period": label,
                "due": date_format(due_on),
                "submitted": date_format(timezone.localdate(submitted_at)),
            }
        )
    for contract_id, periods in by_contract.items():
        flags.contracts[contract_id].append(
            Flag(FlagCode.LATE_SUBMISSIONS, "warning", "; ".join(periods))
        )


def _overdue_rectifications(flags: ComplianceFlags, ids: list[int], today: date) -> None:
    """Rectification notices past their deadline and not verified: escalated to the
    contract's flags (the company has not closed the problem in time)."""
    overdue = (
        RectificationNotice.objects.filter(overdue_rectification_q(today), period__contract__in=ids)
        .order_by("period__contract_id", "deadline", "pk")
        .values_list("period__contract_id", "period__label", "deadline", "state")
    )
    by_contract: dict[int, list[str]] = {}
    for contract_id, label, deadline, state in overdue:
        by_contract.setdefault(contract_id, []).append(
            _("%(period)s, due %(deadline)s, %(state)s")
            % {
                "period": label,
                "deadline": date_format(deadline),
                "state": RectificationNotice.State(state).label,
            }
        )
    for contract_id, notices in by_contract.items():
        flags.contracts[contract_id].append(
            Flag(FlagCode.OVERDUE_RECTIFICATION, "danger", "; ".join(notices))
        )


def _monitoring_alerts(flags: ComplianceFlags, ids: list[int], today: date) -> None:
    """One flag per kind of monitoring alert a contract has, the alerts as its reason."""
    flags.monitoring = monitoring.contracts_monitoring(contract_ids=ids, today=today)
    for contract_id, watched in flags.monitoring.items():
        by_kind: dict[str, list[str]] = {}
        for alert in watched.alerts:
            by_kind.setdefault(alert.kind, []).append(alert.reason)
        for kind, reasons in by_kind.items():
            flag = Flag(ALERT_FLAGS[kind], "warning", " ".join(reasons))
            flags.contracts[contract_id].append(flag)


def _city_budget(flags: ComplianceFlags, city_ids: set[int], today: date) -> None:
    """A city whose obligations exceed a line in this year or the next years with a budget."""
    years = range(today.year, today.year + settings.FISCAL_YEARS_AHEAD + 1)
    for city_id, fiscal_years in city_fiscal_years(city_ids=city_ids, years=years).items():
        worst = max(fiscal_years, key=lambda y: y.share if y.share is not None else -1)
        if worst.level not in ("danger", "warning"):
            flags.cities[city_id] = []
            continue
        code, line = (
            (FlagCode.CITY_OVER_CEILING, settings.FISCAL_CEILING_PERCENT)
            if worst.level == "danger"
            else (FlagCode.CITY_OVER_WARNING, settings.FISCAL_WARNING_PERCENT)
        )
        reason = _(
            "In %(year)s the city's PPP payment obligations are %(share)s%% of its general "
            "public budget expenditure (line: %(line)s%%)."
        ) % {"year": worst.year, "share": f"{worst.share:.2f}", "line": line}
        flags.cities[city_id] = [Flag(code, worst.level, reason)]
