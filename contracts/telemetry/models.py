"""Telemetry streams, their records and the ingest keys (the data model both telemetry
parts share, `docs/telemetry.md`).

`TelemetryRecord` is the big table: on PostgreSQL partitioned by RANGE (ts), one partition a
month plus a default one (migration 0010 and `contracts.telemetry.partitions`); on SQLite a
plain table. Its key (stream, device, ts, record_id) makes a record sent twice count once.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, scoped


@pghistory.track()
class TelemetryStream(models.Model):
    class Kind(models.TextChoices):
        HEARTBEAT = "heartbeat", _("heartbeat")
        READING = "reading", _("reading")
        RECORD = "record", _("record")

    contract = models.ForeignKey(
        Contract, models.CASCADE, related_name="telemetry_streams", verbose_name=_("contract")
    )
    code = models.SlugField(_("code"), max_length=64, help_text=_("e.g. ap-heartbeat"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The declared heartbeat / reading interval; none for `record` streams.
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), null=True, blank=True)
    # The names of the incoming records' numeric and categorical fields, stored as `value` and
    # `status` (blank: the stream has none).
    value_field = models.CharField(
        _("value field"), max_length=64, blank=True, help_text=_("e.g. latency_ms, level_cm")
    )
    status_field = models.CharField(
        _("status field"), max_length=64, blank=True, help_text=_("e.g. status")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = scoped("contract")

    class Meta:
        verbose_name = _("telemetry stream")
        verbose_name_plural = _("telemetry streams")
        ordering = ["contract__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "code"], name="telemetry_stream_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["heartbeat", "reading", "record"]),
                name="telemetry_stream_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="record", interval_seconds__isnull=True)
                | (~Q(kind="record") & Q(interval_seconds__gt=0)),
                name="telemetry_stream_interval_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(value_field="") | ~Q(value_field=F("status_field")),
                name="telemetry_stream_fields_differ",
            ),
        ]
        # Records point at their stream without a database foreign key (its per-row check
        # would double the cost of writing a record, docs/benchmarks.md): a stream with
        # records is not deleted — Django's PROTECT, and on PostgreSQL this trigger whatever
        # the SQL — and records are written only by the ingest service, for a stream it read.
        triggers = [
            pgtrigger.Trigger(
                name="stream_with_records_not_deleted",
                operation=pgtrigger.Delete,
                when=pgtrigger.Before,
                func=(
                    "IF EXISTS (SELECT 1 FROM contracts_telemetryrecord "
                    "WHERE stream_id = OLD.id) THEN RAISE EXCEPTION "
                    "'telemetry stream % has records: it is not deleted', OLD.id "
                    "USING ERRCODE = 'foreign_key_violation'; END IF; RETURN OLD;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} {self.code}"


class TelemetryRecord(models.Model):
    """One heartbeat, reading or transaction. Never updated: a record sent again (same key)
    is a duplicate and the stored one stays."""

    pk = models.CompositePrimaryKey("stream", "device", "ts", "record_id")
    # PROTECT: a stream with records is not deleted (its records are evidence). No index of
    # its own (the key starts with it), no database constraint (see the trigger above).
    stream = models.ForeignKey(
        TelemetryStream,
        models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
        verbose_name=_("stream"),
    )
    device = models.CharField(_("device"), max_length=64)
    ts = models.DateTimeField(_("timestamp"))
    record_id = models.CharField(_("record id"), max_length=64, default="", blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, default="", blank=True)

    objects = scoped("stream__contract")

    class Meta:
        verbose_name = _("telemetry record")
        verbose_name_plural = _("telemetry records")
        # No index beside the key: a period is made of whole monthly partitions, in which the
        # key's leading stream finds a stream's records (in device, ts order, as availability
        # reads them). A (stream, ts) index cost a third more per record written.

    def __str__(self) -> str:
        return f"{self.stream_id} {self.device} {self.ts.isoformat()}"


class TelemetryDigest(models.Model):
    """Per stream, device and local day (`TIME_ZONE`): the number of stored records and the sum
    of their hashes mod 2^256, as 64 hex digits (every database holds it exactly). Written
    with the records, in their transaction, by the ingest service: a period's fingerprint is
    the sum of its days' rows (`contracts.telemetry.fingerprint`)."""

    stream = models.ForeignKey(  # no index of its own: the unique key starts with it
        TelemetryStream,
        models.CASCADE,
        related_name="digests",
        db_index=False,
        verbose_name=_("stream"),
    )
    device = models.CharField(_("device"), max_length=64)
    day = models.DateField(_("day"))
    records = models.PositiveBigIntegerField(_("records"))
    hash_sum = models.CharField(_("sum of the records' SHA-256"), max_length=64)

    objects = scoped("stream__contract")

    class Meta:
        verbose_name = _("telemetry digest")
        verbose_name_plural = _("telemetry digests")
        ordering = ["stream", "day", "device"]
        constraints = [
            models.UniqueConstraint(
                fields=["stream", "day", "device"], name="telemetry_digest_unique_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id} {self.device} {self.day}"


@pghistory.track(exclude=["last_used_at"])
class IngestKey(models.Model):
    """A contract's key for sending telemetry (a system's credential, not a person's token):
    issued and revoked by officials of the contract's agency. Only the SHA-256 of the secret
    is stored; the secret is shown once, when the key is issued. `prefix` (public, part of
    the key) finds the row."""

    contract = models.ForeignKey(
        Contract, models.PROTECT, related_name="ingest_keys", verbose_name=_("contract")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("what sends with it, e.g. the WiFi controller")
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("SHA-256 of the key"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = scoped("contract")

    class Meta:
        verbose_name = _("ingest key")
        verbose_name_plural = _("ingest keys")
        ordering = ["contract__code", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="ingest_key_revoked_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} {self.prefix}… {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
