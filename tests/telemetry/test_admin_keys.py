"""Ingest keys in the admin: issued by officials of the contract's agency (shown once,
stored hashed), revoked by them, listed for whoever may see the contract."""

import hashlib
import re

import pytest
from django.urls import reverse

from contracts.models import IngestKey
from portfolio.models import User
from tests.telemetry.conftest import ndjson

pytestmark = pytest.mark.django_db

ISSUE = "/admin/contracts/ingestkey/issue/"
LIST = "/admin/contracts/ingestkey/"
RECORD = {"device": "gauge-01", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 1}


def test_an_official_issues_a_key_shown_once_and_stored_hashed(client, telemetry, send):
    # given
    client.force_login(telemetry.preparer)
    assert client.get(ISSUE).status_code == 200
    # when
    page = client.post(ISSUE, {"contract": telemetry.contract.pk, "name": "SCADA gateway"})
    # then: the key is on the page, and only its hash is stored
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    secret = re.search(r'id="ingest-key"[^>]*>([^<]+)<', page.content.decode()).group(1)
    key = IngestKey.objects.get(name="SCADA gateway")
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(IngestKey.objects.values_list()))
    assert key.created_by == telemetry.preparer and secret.startswith(f"ppp_ik_{key.prefix}_")
    # and it sends records into the contract's streams
    assert send(secret, "water-level", ndjson([RECORD])).status_code == 200
    # the list shows its prefix, not the key
    listing = client.get(LIST).content.decode()
    assert f"ppp_ik_{key.prefix}_…" in listing and secret not in listing


def test_an_official_of_another_agency_cannot_issue_for_this_contract(client, telemetry):
    client.force_login(telemetry.other_official)
    page = client.post(ISSUE, {"contract": telemetry.contract.pk, "name": "sneaky"})
    assert page.status_code == 200 and "contract" in page.context["form"].errors
    assert not IngestKey.objects.filter(name="sneaky").exists()
    # nor sees this contract's keys
    assert telemetry.key.prefix not in client.get(LIST).content.decode()


@pytest.mark.parametrize("who", ["enterprise", "auditor"])
def test_nobody_else_issues_keys(client, telemetry, who):
    client.force_login(getattr(telemetry, who))
    response = client.post(ISSUE, {"contract": telemetry.contract.pk, "name": "x"})
    assert response.status_code in (302, 403)  # the admin's login page, or refused
    assert not IngestKey.objects.filter(name="x").exists()


def test_a_superuser_lists_keys_without_buttons_they_could_not_use(client, telemetry):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    page = client.get(LIST)
    assert page.status_code == 200
    assert telemetry.key.prefix in page.content.decode()
    assert ISSUE not in page.content.decode()
    assert 'value="revoke"' not in page.content.decode()
    assert client.get(ISSUE).status_code == 403


def test_an_official_revokes_keys_and_they_stop_working(client, telemetry, send):
    # given: the official is offered the action
    client.force_login(telemetry.approver)
    assert 'value="revoke"' in client.get(LIST).content.decode()
    # when
    response = client.post(
        LIST, {"action": "revoke", "_selected_action": [telemetry.key.pk]}, follow=True
    )
    # then
    assert response.status_code == 200
    telemetry.key.refresh_from_db()
    assert telemetry.key.revoked_by == telemetry.approver and telemetry.key.revoked_at
    assert send(telemetry.secret, "water-level", ndjson([RECORD])).status_code == 401
    # the list tells revoked keys apart
    revoked = client.get(LIST, {"state": "revoked"}).content.decode()
    assert f"ppp_ik_{telemetry.key.prefix}_…" in revoked
    change = reverse("admin:contracts_ingestkey_change", args=[telemetry.key.pk])
    assert client.get(change).status_code == 200
