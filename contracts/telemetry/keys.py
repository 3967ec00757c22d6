"""Ingest keys: issued and revoked by officials of the contract's agency, stored as the
SHA-256 of the key (the key itself is shown once, when issued).

A key reads `ppp_ik_<prefix>_<secret>`: the prefix (public, 8 hex digits) finds the row, the
whole key's hash is compared in constant time.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, IngestKey
from contracts.workflow import ActionRefused
from portfolio.models import User

KEY_PREFIX = "ppp_ik_"
# `last_used_at` is written at most this often per key (not once per batch under load).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def ingest_key_refusal(*, contract: Contract, user: User) -> str | None:
    """Why `user` may not issue or revoke the contract's keys (None: they may). Officials of
    the contract's agency only: the city decides which systems may send it data."""
    if not (user.is_authenticated and user.is_official):
        return _("Only officials issue and revoke ingest keys.")
    if contract.government_party_id != user.party_id:
        return _("This contract belongs to another agency.")
    return None


def ingest_key_issue(*, contract: Contract, name: str, user: User) -> tuple[IngestKey, str]:
    """A new key for the contract's telemetry; returns the row and the key (shown once)."""
    if refused := ingest_key_refusal(contract=contract, user=user):
        raise ActionRefused(refused)
    name = name.strip()
    if not name:
        raise ActionRefused(_("Name the key: what sends with it."))
    while True:
        prefix = secrets.token_hex(4)
        if not IngestKey.objects.filter(prefix=prefix).exists():
            break
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = IngestKey.objects.create(
            contract=contract, name=name, prefix=prefix, secret_hash=_hash(raw), created_by=user
        )
    return key, raw


def ingest_key_revoke(*, key: IngestKey, user: User) -> IngestKey:
    """Revoke the key: from now on it authenticates nothing. Revoking twice changes nothing."""
    if refused := ingest_key_refusal(contract=key.contract, user=user):
        raise ActionRefused(refused)
    with transaction.atomic():
        IngestKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user
        )
    key.refresh_from_db()
    return key


def ingest_key_authenticate(raw: str) -> IngestKey | None:
    """The active key `raw` is, with its contract (None: unknown, malformed or revoked)."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix, _sep, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    key = (
        IngestKey.objects.select_related("contract")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        IngestKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
