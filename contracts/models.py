"""Contracts and everything a period's payment is computed from.

The payment mechanism is contract data, versioned: a supplementary agreement (补充协议) adds a
new MechanismVersion effective from a date, with its own KPI definitions; old calculations
keep pointing at the version they used.
"""

import functools
import operator
import re
import uuid
from datetime import date

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.fields import MoneyField
from portfolio.models import Party, Project

# Targets, actual values and points: up to 6 decimal places is plenty for any KPI.
KPI_DECIMAL = {"max_digits": 20, "decimal_places": 6}


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)`: the one scoping rule, used by the admin and the API. Officials see
    their agency's contracts and everything under them, enterprise staff their company's,
    auditors and superusers everything; anyone else nothing. Each model names the path from
    its rows to their contract in `contract_path`."""

    contract_path = ""

    def visible_to(self, user) -> "ScopedQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role == "auditor":
            return self
        if user.contract_side is None:
            return self.none()
        prefix = f"{self.contract_path}__" if self.contract_path else ""
        return self.filter(**{f"{prefix}{user.contract_side}": user.party_id})


def scoped(path: str) -> models.Manager:
    return type(f"ScopedBy{path.title()}", (ScopedQuerySet,), {"contract_path": path}).as_manager()


@pghistory.track()
class Contract(models.Model):
    class Frequency(models.TextChoices):
        ANNUAL = "annual", _("annual")
        QUARTERLY = "quarterly", _("quarterly")
        MONTHLY = "monthly", _("monthly")

    code = models.CharField(_("code"), max_length=50, unique=True)
    project = models.ForeignKey(
        Project, models.PROTECT, related_name="contracts", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=200)
    government_party = models.ForeignKey(
        Party,
        models.PROTECT,
        related_name="government_contracts",
        verbose_name=_("government party"),
    )
    private_party = models.ForeignKey(
        Party, models.PROTECT, related_name="private_contracts", verbose_name=_("private party")
    )
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217, e.g. CNY"))
    frequency = models.CharField(
        _("evaluation frequency"), max_length=10, choices=Frequency.choices
    )

    objects = scoped("")

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="contract_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=~Q(government_party=F("private_party")), name="contract_two_parties"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=["annual", "quarterly", "monthly"]),
                name="contract_frequency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class MechanismVersion(models.Model):
    class Type(models.TextChoices):
        SCORE_COEFFICIENT = "score_coefficient", _("score × coefficient (按效付费)")
        DEDUCTIONS = "deductions", _("deductions (availability, performance, events)")

    contract = models.ForeignKey(
        Contract, models.CASCADE, related_name="mechanism_versions", verbose_name=_("contract")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    agreement = models.CharField(
        _("agreement"), max_length=200, blank=True, help_text=_("e.g. 补充协议(一), dated …")
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    # The bundle's `contract.mechanism` object without its KPIs, decimals kept as strings:
    # exactly what the engine reads, so a calculation can be reproduced years later.
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = scoped("contract")

    class Meta:
        verbose_name = _("payment mechanism version")
        verbose_name_plural = _("payment mechanism versions")
        ordering = ["contract__code", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "version"], name="mechanism_unique_version"
            ),
            models.UniqueConstraint(
                fields=["contract", "effective_from"], name="mechanism_unique_effective_from"
            ),
            models.CheckConstraint(
                condition=Q(type__in=["score_coefficient", "deductions"]),
                name="mechanism_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} v{self.version}"


class KPI(models.Model):
    class Dimension(models.TextChoices):
        OUTPUT = "output", _("output (产出)")
        EFFECT = "effect", _("effect (效果)")
        MANAGEMENT = "management", _("management (管理)")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    class Rule(models.TextChoices):
        DEDUCT_PER_STEP = "deduct_per_step", _("deduct per step")
        PROPORTIONAL = "proportional", _("proportional")
        THRESHOLD = "threshold", _("threshold")
        MANUAL = "manual", _("manual (evaluator's points)")

    class PartialStep(models.TextChoices):
        CEIL = "ceil", _("a partial step counts as a whole step")
        FLOOR = "floor", _("partial steps are ignored")
        EXACT = "exact", _("partial steps count pro rata")

    class DataSource(models.TextChoices):
        REPORTED = "reported", _("reported by the company")
        TELEMETRY = "telemetry", _("computed from telemetry")

    class Metric(models.TextChoices):
        AVAILABILITY = "availability", _("availability")
        COMPLETENESS = "completeness", _("completeness")
        RATIO = "ratio", _("ratio")
        PERCENTILE = "percentile", _("percentile")
        MEAN = "mean", _("mean")

    mechanism_version = models.ForeignKey(
        MechanismVersion, models.CASCADE, related_name="kpis", verbose_name=_("mechanism version")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    rule = models.CharField(_("scoring rule"), max_length=20, choices=Rule.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, blank=True
    )
    target = models.DecimalField(_("target"), null=True, blank=True, **KPI_DECIMAL)
    floor = models.DecimalField(_("floor"), null=True, blank=True, **KPI_DECIMAL)
    max_points = models.DecimalField(_("maximum points"), **KPI_DECIMAL)
    step = models.DecimalField(_("step"), null=True, blank=True, **KPI_DECIMAL)
    points_per_step = models.DecimalField(
        _("points per step"), null=True, blank=True, **KPI_DECIMAL
    )
    # Blank means the mechanism's default (ceil: 不足一档按一档计).
    partial_step = models.CharField(
        _("partial step"), max_length=10, choices=PartialStep.choices, blank=True
    )
    # Where the KPI's value comes from (docs/telemetry.md): typed in by the company, or
    # computed by the city from one of the contract's telemetry streams at period close.
    data_source = models.CharField(
        _("data source"), max_length=10, choices=DataSource.choices, default=DataSource.REPORTED
    )
    telemetry_stream = models.CharField(
        _("telemetry stream"), max_length=64, blank=True, help_text=_("the stream's code")
    )
    telemetry_metric = models.CharField(
        _("telemetry metric"), max_length=12, choices=Metric.choices, blank=True
    )
    # percentile: p in (0, 100]; ratio: the condition (`status = ok`, `value <= 24`).
    telemetry_p = models.DecimalField(_("percentile"), null=True, blank=True, **KPI_DECIMAL)
    telemetry_condition = models.CharField(_("condition"), max_length=100, blank=True)
    telemetry_min_sample = models.PositiveIntegerField(
        _("minimum sample size"), null=True, blank=True
    )
    # A company's own figure further than this from the telemetry value is flagged.
    telemetry_tolerance = models.DecimalField(_("tolerance"), null=True, blank=True, **KPI_DECIMAL)
    telemetry_places = models.PositiveSmallIntegerField(_("decimal places"), null=True, blank=True)

    objects = scoped("mechanism_version__contract")

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["mechanism_version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["mechanism_version", "code"], name="kpi_unique_code"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="kpi_max_points_positive"),
            models.CheckConstraint(
                condition=Q(step__isnull=True) | Q(step__gt=0), name="kpi_step_positive"
            ),
            models.CheckConstraint(
                condition=Q(rule="manual") | ~Q(direction="") & Q(target__isnull=False),
                name="kpi_measured_needs_direction_and_target",
            ),
            models.CheckConstraint(
                condition=Q(data_source="reported", telemetry_stream="", telemetry_metric="")
                | Q(data_source="telemetry")
                & ~Q(telemetry_stream="")
                & ~Q(telemetry_metric="")
                & ~Q(rule="manual"),
                name="kpi_telemetry_source_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        """A telemetry KPI's definition, field by field (the bundle validator checks the same
        in `contract.kpis[i].telemetry`)."""
        from contracts.telemetry import metrics

        if self.data_source != self.DataSource.TELEMETRY:
            return
        errors = {}
        if not self.telemetry_stream:
            errors["telemetry_stream"] = _("A telemetry KPI names its stream.")
        elif not re.fullmatch(r"[-a-zA-Z0-9_]+", self.telemetry_stream):
            errors["telemetry_stream"] = _("A stream code has letters, digits, - and _ only.")
        if not self.telemetry_metric:
            errors["telemetry_metric"] = _("A telemetry KPI names its metric.")
        if self.rule == self.Rule.MANUAL:
            errors["rule"] = _("A manual KPI cannot be computed from telemetry.")
        metric = self.telemetry_metric
        if metric == metrics.PERCENTILE and not (self.telemetry_p and 0 < self.telemetry_p <= 100):
            errors["telemetry_p"] = _("A percentile needs p above 0 and at most 100.")
        if metric != metrics.PERCENTILE and self.telemetry_p is not None:
            errors["telemetry_p"] = _("Only a percentile takes p.")
        if metric == metrics.RATIO:
            try:
                metrics.condition_parse(self.telemetry_condition)
            except metrics.MetricError as exc:
                errors["telemetry_condition"] = str(exc)
        elif self.telemetry_condition:
            errors["telemetry_condition"] = _("Only a ratio takes a condition.")
        if self.telemetry_min_sample is not None and self.telemetry_min_sample < 1:
            errors["telemetry_min_sample"] = _("The minimum sample size is at least 1.")
        if self.telemetry_tolerance is not None and self.telemetry_tolerance < 0:
            errors["telemetry_tolerance"] = _("The tolerance cannot be negative.")
        if self.telemetry_places is not None and self.telemetry_places > metrics.MAX_PLACES:
            errors["telemetry_places"] = _("At most %(n)s decimal places.") % {
                "n": metrics.MAX_PLACES
            }
        if errors:
            raise ValidationError(errors)

    @property
    def is_telemetry(self) -> bool:
        return self.data_source == self.DataSource.TELEMETRY

    @property
    def places(self) -> int:
        return 2 if self.telemetry_places is None else self.telemetry_places


class Milestone(models.Model):
    contract = models.ForeignKey(
        Contract, models.CASCADE, related_name="milestones", verbose_name=_("contract")
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    due_on = models.DateField(_("due on"))
    met_on = models.DateField(_("met on"), null=True, blank=True)

    objects = scoped("contract")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["contract__code", "due_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="milestone_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def is_overdue(self, today: date | None = None) -> bool:
        """Unmet and past its due date."""
        return self.met_on is None and self.due_on < (today or timezone.localdate())

    @property
    def was_late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due_on


class Period(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        SUBMITTED = "submitted", _("submitted")
        LOCKED = "locked", _("locked")

    contract = models.ForeignKey(
        Contract, models.CASCADE, related_name="periods", verbose_name=_("contract")
    )
    label = models.CharField(_("label"), max_length=7, help_text=_("2026, 2026-Q1 or 2026-03"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    due_on = models.DateField(_("submission due on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # When the enterprise's figures for the period were first complete and submitted; after
    # `due_on` (a local date) the submission is late (`is_late`).
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Why the last attempt to compute the period's payment computed nothing (missing
    # measurements, a final payment, an amount beyond what can be stored…); blank after a
    # computation. What a caller of the compute endpoint reads once the task has run.
    compute_problem = models.CharField(_("compute problem"), max_length=500, blank=True)
    # The last telemetry aggregation's KPIs without a value and why: {"K1": "sample of 3 …"}.
    telemetry_problems = models.JSONField(_("telemetry problems"), default=dict, blank=True)
    # Deductions mechanism only: performance points incurred in the period.
    performance_points = models.PositiveIntegerField(_("performance points"), null=True, blank=True)

    objects = scoped("contract")

    class Meta:
        verbose_name = _("evaluation period")
        verbose_name_plural = _("evaluation periods")
        ordering = ["contract__code", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "label"], name="period_unique_label"),
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="period_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "submitted", "locked"]), name="period_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} {self.label}"

    @property
    def is_late(self) -> bool:
        """Submitted after the due date (the same rule as `LATE` for querysets)."""
        return self.submitted_at is not None and timezone.localdate(self.submitted_at) > self.due_on


# The measurements that count for their KPI (reviewed, paid): those whose origin is the KPI's
# data source. A company's own figure for a telemetry KPI is shown beside it, nothing more.
COUNTS = Q(origin=F("kpi__data_source"))

# Periods submitted after their due date, as a filter (`Period.is_late` for one period).
LATE = Q(submitted_at__isnull=False, submitted_at__date__gt=F("due_on"))


@pghistory.track()
class Measurement(models.Model):
    """One submission of a KPI's value (or points, for manual KPIs) for a period.

    A resubmission after a return is a new revision: the earlier row, its submitter and its
    evidence stay as they were. Exactly one revision per period and KPI is current.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned for revision")

    class Source(models.TextChoices):
        PORTAL = "portal", _("web form")
        API = "api", _("API")
        IMPORT = "import", _("bundle import")
        TELEMETRY = "telemetry", _("telemetry aggregation")

    class Origin(models.TextChoices):
        # The same values as KPI.DataSource: the measurement that counts for a KPI is the one
        # whose origin is the KPI's data source (COUNTS).
        REPORTED = "reported", _("reported by the company")
        TELEMETRY = "telemetry", _("computed from telemetry")

    period = models.ForeignKey(
        Period, models.CASCADE, related_name="measurements", verbose_name=_("period")
    )
    kpi = models.ForeignKey(KPI, models.PROTECT, related_name="measurements", verbose_name=_("KPI"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    value = models.DecimalField(_("value"), null=True, blank=True, **KPI_DECIMAL)
    points = models.DecimalField(_("points"), null=True, blank=True, **KPI_DECIMAL)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("reason for return"), blank=True)
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.REPORTED
    )
    # Telemetry measurements: the records the value was computed from (docs/telemetry.md).
    sample_size = models.PositiveBigIntegerField(_("sample size"), null=True, blank=True)
    fingerprint = models.CharField(_("fingerprint (SHA-256)"), max_length=64, blank=True)

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["period", "kpi__position", "revision"]
        constraints = [
            # One current revision per KPI and origin: a telemetry KPI's computed value and
            # the company's own figure for it (shown beside it, flagged beyond the tolerance).
            models.UniqueConstraint(
                fields=["period", "kpi", "origin"],
                condition=Q(is_current=True),
                name="measurement_one_current_per_kpi",
            ),
            models.UniqueConstraint(
                fields=["period", "kpi", "origin", "revision"],
                name="measurement_unique_revision",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["reported", "telemetry"]), name="measurement_origin_valid"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False, points__isnull=True)
                | Q(value__isnull=True, points__isnull=False),
                name="measurement_value_xor_points",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(review_reason=""),
                name="measurement_return_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.kpi.code} r{self.revision}"


class AvailabilityFailure(models.Model):
    """Deductions mechanism: an area that was unavailable during the period."""

    period = models.ForeignKey(
        Period, models.CASCADE, related_name="availability_failures", verbose_name=_("period")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    area = models.CharField(_("area"), max_length=200)
    weighting = models.PositiveIntegerField(_("weighting"))
    periods = models.PositiveIntegerField(_("unavailable service periods"))
    used = models.BooleanField(_("used while unavailable"))
    failures_in_period = models.PositiveIntegerField(_("failures of this criterion in the period"))

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("availability failure")
        verbose_name_plural = _("availability failures")
        ordering = ["period", "position"]

    def __str__(self) -> str:
        return f"{self.period} {self.area}"


class DeductionEvent(models.Model):
    """Deductions mechanism: occurrences of an event with a per-unit rate."""

    period = models.ForeignKey(
        Period, models.CASCADE, related_name="deduction_events", verbose_name=_("period")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("event code"), max_length=50)
    quantity = models.DecimalField(_("quantity"), **KPI_DECIMAL)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("deduction event")
        verbose_name_plural = _("deduction events")
        ordering = ["period", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="event_quantity_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.code} × {self.quantity}"


def evidence_storage_key(instance: "Evidence", filename: str) -> str:
    # The client's filename is never part of the path: it is kept only as a label.
    key = uuid.uuid4().hex
    return f"evidence/{key[:2]}/{key}"


@pghistory.track()
class Evidence(models.Model):
    measurement = models.ForeignKey(
        Measurement, models.PROTECT, related_name="evidence", verbose_name=_("measurement")
    )
    file = models.FileField(_("file"), upload_to=evidence_storage_key, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    # None: written by the telemetry aggregation (a per-device summary), not by a person.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = scoped("measurement__period__contract")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["measurement", "uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class PaymentRun(models.Model):
    """One computation of every contract due in a period (a label such as 2026-Q2), fanned
    out over the workers in chunks; progress is `done` (+ `failed`) of `total`."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    label = models.CharField(_("period label"), max_length=7)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    total = models.PositiveIntegerField(_("contract periods"), default=0)
    done = models.PositiveIntegerField(_("computed"), default=0)
    failed = models.PositiveIntegerField(_("not computed"), default=0)
    # Contract periods that could not be computed and why, e.g. the KPIs lacking measurements.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total") - F("failed")), name="payment_run_progress_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.done}/{self.total})"


# What an approved or paid payment may never change (paying only adds reference and date).
FROZEN_WHEN_FINAL = [
    "period_id", "mechanism_version_id", "inputs", "result", "score", "grade", "coefficient",
    "full_amount", "deduction", "payable", "prepared_by_id", "prepared_at", "approved_by_id",
    "approved_at",
]  # fmt: skip


@pghistory.track()
class PaymentCalculation(models.Model):
    """What the government owes for one contract period, as the engine computed it, with the
    inputs it used so that the figure can be reproduced years later.

    One per period. Recomputing replaces it until it is approved; from then on it is never
    changed (corrections are separate adjustment records)."""

    class State(models.TextChoices):
        COMPUTED = "computed", _("computed")
        PREPARED = "prepared", _("prepared")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")
        RETURNED = "returned", _("returned")

    # States in which the amounts are final.
    FINAL_STATES = (State.APPROVED, State.PAID)

    class Via(models.TextChoices):
        COMMAND = "command", _("management command")
        TASK = "task", _("Celery task")
        RUN = "run", _("payment run")

    period = models.OneToOneField(
        Period, models.PROTECT, related_name="calculation", verbose_name=_("period")
    )
    mechanism_version = models.ForeignKey(
        MechanismVersion,
        models.PROTECT,
        related_name="calculations",
        verbose_name=_("mechanism version"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.COMPUTED
    )
    # {"evaluation": {…}}: the measurements the engine was given; the mechanism and its KPIs
    # are `mechanism_version`, which no longer changes once a calculation uses it.
    inputs = models.JSONField(_("inputs"))
    # The engine's result: KPI points or deduction lines and every amount, as decimal strings.
    result = models.JSONField(_("result"))
    score = models.DecimalField(_("score"), max_digits=20, decimal_places=10, null=True)
    grade = models.CharField(_("grade"), max_length=2, blank=True)
    coefficient = models.DecimalField(_("coefficient"), max_digits=20, decimal_places=10, null=True)
    full_amount = MoneyField(_("full amount"))
    deduction = MoneyField(_("deduction"))
    payable = MoneyField(_("payable"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("computed by"),
    )
    computed_via = models.CharField(_("computed via"), max_length=10, choices=Via.choices)
    task_id = models.CharField(_("Celery task id"), max_length=50, blank=True)
    run = models.ForeignKey(
        PaymentRun,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="calculations",
        verbose_name=_("payment run"),
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("payment calculation")
        verbose_name_plural = _("payment calculations")
        ordering = ["period__contract__code", "period__starts_on"]
        # The queues and the home's counts filter by state: an approver's few prepared
        # payments are found without reading 100,000 computed ones.
        indexes = [models.Index(fields=["state"], name="calculation_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(payable__gte=0)
                & Q(payable__lte=F("full_amount"))
                & Q(full_amount=F("payable") + F("deduction")),
                name="calculation_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["computed", "prepared", "approved", "paid", "returned"]),
                name="calculation_state_valid",
            ),
            # Four eyes: the official who prepared a payment never approves it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="calculation_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "paid"])
                | Q(prepared_by__isnull=False, approved_by__isnull=False),
                name="calculation_approved_was_prepared",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | (~Q(paid_reference="") & Q(paid_on__isnull=False)),
                name="calculation_paid_has_reference",
            ),
        ]
        triggers = [
            # On PostgreSQL the amounts of an approved or paid payment cannot change, nor can
            # the payment be deleted, whatever the SQL: corrections are adjustments.
            pgtrigger.Protect(
                name="final_payment_amounts_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__state__in=["approved", "paid"])
                & functools.reduce(
                    operator.or_,
                    [pgtrigger.Q(new__state__in=["computed", "prepared", "returned"])]
                    + [
                        pgtrigger.Q(**{f"old__{name}__df": pgtrigger.F(f"new__{name}")})
                        for name in FROZEN_WHEN_FINAL
                    ],
                ),
            ),
            pgtrigger.Protect(
                name="final_payment_not_deleted",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__state__in=["approved", "paid"]),
            ),
        ]

    def __str__(self) -> str:
        return str(self.period)

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


@pghistory.track()
class PaymentAdjustment(models.Model):
    """A correction to an approved payment: a new record, never an edit of the payment.

    Proposed by one official with a reason, approved by another (four eyes, as for payments)
    or rejected; only approved adjustments count on the payment, in reports and in OCDS."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    calculation = models.ForeignKey(
        PaymentCalculation,
        models.PROTECT,
        related_name="adjustments",
        verbose_name=_("payment calculation"),
    )
    amount = MoneyField(_("amount"), help_text=_("positive: paid in addition; negative: recovered"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for rejection"), blank=True)

    objects = scoped("calculation__period__contract")

    class Meta:
        verbose_name = _("payment adjustment")
        verbose_name_plural = _("payment adjustments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "approved", "rejected"]),
                name="adjustment_state_valid",
            ),
            # Four eyes: the official who proposed an adjustment never approves it.
            models.CheckConstraint(
                condition=~Q(state="approved")
                | (Q(decided_by__isnull=False) & ~Q(decided_by=F("created_by"))),
                name="adjustment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected")
                | (Q(decided_by__isnull=False) & ~Q(decision_reason="")),
                name="adjustment_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calculation} {self.amount:+}"


class Decision(models.Model):
    """Who decided what, when and why, on a payment or a period: the history officials see."""

    class Action(models.TextChoices):
        PREPARE = "prepare", _("prepared")
        APPROVE = "approve", _("approved")
        RETURN = "return", _("returned")
        MARK_PAID = "mark_paid", _("marked paid")
        ADJUST = "adjust", _("adjustment proposed")
        APPROVE_ADJUSTMENT = "approve_adjustment", _("adjustment approved")
        REJECT_ADJUSTMENT = "reject_adjustment", _("adjustment rejected")
        REOPEN = "reopen", _("period reopened")
        UPHOLD_OBJECTION = "uphold_objection", _("objection upheld")
        ACCEPT_OBJECTION = "accept_objection", _("objection accepted")

    period = models.ForeignKey(
        Period, models.PROTECT, related_name="decisions", verbose_name=_("period")
    )
    calculation = models.ForeignKey(
        PaymentCalculation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("payment calculation"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("official")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["return", "reopen", "adjust", "reject_adjustment"])
                | ~Q(reason=""),
                name="decision_reason_where_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_action_display()} {self.user}"


class NotificationSent(models.Model):
    """An e-mail sent to one recipient about one event: recorded in the transaction that sends
    it, so a task run twice (a retry, a redelivery, the next morning's reminders) sends each
    message once. `event` names the event and its object, e.g. `reminder:period:12`."""

    event = models.CharField(_("event"), max_length=100)
    recipient = models.EmailField(_("recipient"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification sent")
        verbose_name_plural = _("notifications sent")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"], name="notification_once_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient}"


@pghistory.track()
class RectificationNotice(models.Model):
    """A rectification notice (整改通知): officials of the contract's agency found a problem in a
    period (about one KPI or a finding of the evaluation) and require the company to act by a
    deadline. The company answers with what it did and closure evidence; officials verify and
    close it, or send it back with a reason (then the company answers again).

    Overdue — the deadline passed and it is not verified — it is a compliance flag on the
    contract. The transitions are `contracts.workflow.RECTIFICATION`."""

    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        ANSWERED = "answered", _("answered")
        VERIFIED = "verified", _("verified")
        SENT_BACK = "sent_back", _("sent back")

    # States in which the company owes an answer; the notice is open until verified.
    OPEN_STATES = (State.ISSUED, State.ANSWERED, State.SENT_BACK)

    period = models.ForeignKey(
        Period, models.PROTECT, related_name="rectifications", verbose_name=_("period")
    )
    kpi = models.ForeignKey(
        KPI,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="rectifications",
        verbose_name=_("KPI"),
    )
    problem = models.TextField(_("problem and its cause"))
    required_action = models.TextField(_("required action"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ISSUED)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The last sending back; earlier ones are in the notice's history (pghistory).
    send_back_reason = models.TextField(_("reason for sending back"), blank=True)
    sent_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent back by"),
    )
    sent_back_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["period__contract__code", "period__starts_on", "issued_at", "pk"]
        indexes = [models.Index(fields=["state", "deadline"], name="rectification_state_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["issued", "answered", "verified", "sent_back"]),
                name="rectification_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(problem="") & ~Q(required_action=""),
                name="rectification_has_problem_and_action",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["answered", "verified"])
                | (~Q(answer="") & Q(answered_by__isnull=False)),
                name="rectification_answer_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="verified") | Q(verified_by__isnull=False),
                name="rectification_verified_by",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent_back")
                | (~Q(send_back_reason="") & Q(sent_back_by__isnull=False)),
                name="rectification_sent_back_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"

    def is_overdue(self, today: date | None = None) -> bool:
        """Not verified and past its deadline (the rule of `OVERDUE_RECTIFICATION`)."""
        return self.state != self.State.VERIFIED and self.deadline < (today or timezone.localdate())


def overdue_rectification_q(today: date) -> Q:
    """Notices past their deadline and not verified, as a filter (`is_overdue` for one)."""
    return Q(deadline__lt=today) & ~Q(state=RectificationNotice.State.VERIFIED)


def rectification_storage_key(instance: "RectificationFile", filename: str) -> str:
    key = uuid.uuid4().hex
    return f"rectification/{key[:2]}/{key}"


@pghistory.track()
class RectificationFile(models.Model):
    """A closure evidence file of a rectification notice's answer, checked like evidence
    (`contracts/uploads.py`) and stored under a random key."""

    notice = models.ForeignKey(
        RectificationNotice,
        models.PROTECT,
        related_name="files",
        verbose_name=_("rectification notice"),
    )
    file = models.FileField(_("file"), upload_to=rectification_storage_key, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = scoped("notice__period__contract")

    class Meta:
        verbose_name = _("rectification file")
        verbose_name_plural = _("rectification files")
        ordering = ["notice", "uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="rectification_file_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


# Objections live in their own module (contracts/objections.py); imported here so that
# `contracts.models` names every model of the app.
from contracts.objections import Objection, ObjectionEvidence  # noqa: E402, F401

# Telemetry (issue #17) lives in its own package; its models belong to this app.
from contracts.telemetry.models import (  # noqa: E402, F401
    IngestKey,
    TelemetryDigest,
    TelemetryRecord,
    TelemetryStream,
)
