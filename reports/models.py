"""Evaluation reports (绩效评价报告): a PDF/A-3b rendered by a worker from a frozen snapshot.

A report's `inputs` is everything the PDF shows, captured when the report is requested; its
`inputs_hash` (sha256 of the canonical JSON) makes asking again for an unchanged report return
the stored one, and a change (a recomputed or approved payment, new findings…) a new version
of the same subject. Old versions stay, with their file and its sha256.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Period
from portfolio.models import City

# The end of an agency-scoped portfolio report's subject: ":agency<party id>".
AGENCY_SCOPE = ":agency"


def report_storage_key(instance: "Report", filename: str) -> str:
    key = uuid.uuid4().hex
    return f"reports/{key[:2]}/{key}.pdf"


class ReportQuerySet(models.QuerySet):
    def current_first(self) -> "ReportQuerySet":
        """A subject's current report first: the one whose texts were given last (giving texts
        again may return an older version), else the newest version."""
        return self.order_by(models.F("texts_set_at").desc(nulls_last=True), "-version")

    def visible_to(self, user) -> "ReportQuerySet":
        """Contract reports: the contracts' rule (officials: their agency's, enterprise: their
        company's, auditors: all). Portfolio reports: auditors all; officials those made for
        their agency (its contracts only, `reports.selectors.portfolio_agency_id`); not
        enterprises."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role == "auditor":
            return self
        if user.role in ("preparer", "approver"):
            # Portfolio reports: the ones made for their agency (its contracts' rows only).
            own_portfolio = Q(
                kind=Report.Kind.PORTFOLIO, subject__endswith=f"{AGENCY_SCOPE}{user.party_id}"
            )
            return self.filter(own_portfolio | Q(contract__government_party=user.party_id))
        if user.role == "enterprise":
            return self.filter(kind=Report.Kind.CONTRACT, contract__private_party=user.party_id)
        return self.none()


class Report(models.Model):
    class Kind(models.TextChoices):
        CONTRACT = "contract", _("contract evaluation report")
        PORTFOLIO = "portfolio", _("portfolio report")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RENDERING = "rendering", _("rendering")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("Simplified Chinese")
        EN = "en", _("English")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    contract = models.ForeignKey(
        Contract,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("contract"),
    )
    period = models.ForeignKey(
        Period, models.PROTECT, null=True, blank=True, related_name="reports"
    )
    city = models.ForeignKey(
        City, models.PROTECT, null=True, blank=True, related_name="reports", verbose_name=_("city")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    # One subject = kind + contract period or city year + language; versions count per subject.
    subject = models.CharField(_("subject"), max_length=100, editable=False)
    version = models.PositiveIntegerField(_("version"))
    # 问题及原因 and 建议: entered by officials, copied forward to the next version.
    findings = models.TextField(_("problems and causes"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    # When an official last gave these texts: the texts a new version starts from are the ones
    # given last, also when giving them again returned an older version (same data and texts).
    texts_set_at = models.DateTimeField(_("texts set at"), null=True, blank=True)
    # Everything the PDF shows, frozen when requested; the PDF is rendered from this alone.
    inputs = models.JSONField(_("inputs"))
    inputs_hash = models.CharField(_("inputs SHA-256"), max_length=64)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to=report_storage_key, max_length=200, blank=True)
    sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "version"], name="report_unique_version"),
            models.UniqueConstraint(fields=["subject", "inputs_hash"], name="report_unique_inputs"),
            models.CheckConstraint(
                condition=Q(kind="contract", contract__isnull=False, period__isnull=False)
                | Q(kind="portfolio", city__isnull=False, year__isnull=False),
                name="report_subject_complete",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "rendering", "ready", "failed"]),
                name="report_state_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_max"),
            models.CheckConstraint(
                condition=~Q(state="ready") | (~Q(sha256="") & ~Q(file="")),
                name="report_ready_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | ~Q(error=""), name="report_failed_has_reason"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CONTRACT:
            subject = f"{self.contract.code} {self.period.label}"
        else:
            subject = f"{self.city.name} {self.year}"
        return f"{subject} ({self.get_language_display()}) v{self.version}"

    @property
    def filename(self) -> str:
        if self.kind == self.Kind.CONTRACT:
            name = f"{self.inputs['contract']['code']}-{self.inputs['period']['label']}"
        else:
            name = f"{self.inputs['city']['name_en'] or self.city_id}-{self.year}"
        return f"report-{name}-{self.language}-v{self.version}.pdf"
