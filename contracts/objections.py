"""Objections (异议 / 复核): a project company contests a figure shown to it — a computed
payment (or one of its deduction lines), or a returned or accepted measurement — within
`OBJECTION_WINDOW_WORKING_DAYS` working days, with reasons and files; officials of the
contract's agency uphold it (the figure stands) or accept it (the figure is corrected).

The models; the rules are the workflow table's `OBJECTION` (contracts/workflow.py), the writes
`contracts/services/objections.py`. Objections are not public: the OCDS export never reads them.
"""

import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Measurement, PaymentAdjustment, PaymentCalculation, Period, scoped


@pghistory.track()
class Objection(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("objection", "open (awaiting a decision)")
        UPHELD = "upheld", _("upheld (the figure stands)")
        ACCEPTED = "accepted", _("accepted (the figure is corrected)")

    # The period of the contested figure: whose contract it is, and whose payment it holds up.
    period = models.ForeignKey(
        Period, models.PROTECT, related_name="objections", verbose_name=_("period")
    )
    calculation = models.ForeignKey(
        PaymentCalculation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("payment calculation"),
    )
    measurement = models.ForeignKey(
        Measurement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("measurement"),
    )
    # The part of the figure contested, e.g. a deduction line (blank: the figure as a whole).
    item = models.CharField(_("contested item"), max_length=200, blank=True)
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # When the figure was shown to the company (the payment computed, the measurement
    # reviewed) and the last day of the window that followed.
    shown_at = models.DateTimeField(_("figure shown at"))
    window_closes_on = models.DateField(_("window closes on"))
    # The official who prepared (payment) or reviewed (measurement) the contested figure: four
    # eyes, they do not decide the objection against their own work.
    contested_official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("official responsible for the figure"),
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("lodged by")
    )
    lodged_at = models.DateTimeField(_("lodged at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    # What accepting did: the payment recomputed, the measurement reopened, an adjustment.
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    adjustment = models.ForeignKey(
        PaymentAdjustment,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjustment proposed"),
    )

    objects = scoped("period__contract")

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-lodged_at", "-pk"]
        indexes = [models.Index(fields=["state"], name="objection_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(calculation__isnull=False, measurement__isnull=True)
                | Q(calculation__isnull=True, measurement__isnull=False),
                name="objection_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "upheld", "accepted"]),
                name="objection_state_valid",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="objection_has_reason"),
            models.CheckConstraint(
                condition=Q(state="open")
                | Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision_reason=""),
                name="objection_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(contested_official__isnull=True)
                | ~Q(decided_by=models.F("contested_official")),
                name="objection_four_eyes",
            ),
            # One open objection per figure: a double click lodges one.
            models.UniqueConstraint(
                fields=["calculation"],
                condition=Q(state="open", calculation__isnull=False),
                name="objection_one_open_per_calculation",
            ),
            models.UniqueConstraint(
                fields=["measurement"],
                condition=Q(state="open", measurement__isnull=False),
                name="objection_one_open_per_measurement",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.period}"

    @property
    def subject(self):
        return self.calculation if self.calculation_id else self.measurement


def objection_storage_key(instance: "ObjectionEvidence", filename: str) -> str:
    # The client's filename is never part of the path: it is kept only as a label.
    key = uuid.uuid4().hex
    return f"objections/{key[:2]}/{key}"


@pghistory.track()
class ObjectionEvidence(models.Model):
    """A file the company gives with its objection, checked as evidence uploads are."""

    objection = models.ForeignKey(
        Objection, models.PROTECT, related_name="evidence", verbose_name=_("objection")
    )
    file = models.FileField(_("file"), upload_to=objection_storage_key, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = scoped("objection__period__contract")

    class Meta:
        verbose_name = _("objection evidence")
        verbose_name_plural = _("objection evidence")
        ordering = ["objection", "uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="objection_evidence_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"
