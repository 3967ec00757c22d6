"""A contract with telemetry streams, ingest keys and a client that sends batches."""

import gzip
from types import SimpleNamespace

import orjson
import pytest
from rest_framework.test import APIClient

from contracts.models import Contract, TelemetryRecord, TelemetryStream
from contracts.telemetry.keys import ingest_key_issue
from contracts.telemetry.partitions import forget_known_partitions
from tests.contracts.conftest import english, people  # noqa: F401 — the same cast

URL = "/api/v1/telemetry/{stream}/"


@pytest.fixture(autouse=True)
def _partitions_rolled_back():
    """Each test's transaction is rolled back, partitions created in it too."""
    forget_known_partitions()
    yield
    forget_known_partitions()


@pytest.fixture
def telemetry(people):  # noqa: F811 — the fixture imported above
    """cn-steps (term 2017-07-01 to 2029-06-30, quarterly; 2026-Q2 is submitted: closed to
    telemetry) with a reading stream and a record stream, and a key; a second contract of
    another agency with its own key and a stream of the same code."""
    contract = people.contract
    levels = TelemetryStream.objects.create(
        contract=contract,
        code="water-level",
        kind="reading",
        interval_seconds=300,
        value_field="level_cm",
        status_field="status",
    )
    payments = TelemetryStream.objects.create(
        contract=contract, code="payments", kind="record", value_field="amount",
        status_field="result",
    )  # fmt: skip
    key, secret = ingest_key_issue(contract=contract, name="gauge gateway", user=people.preparer)
    other = Contract.objects.get(pk=contract.pk)
    other.pk, other.code = None, "OTHER-2026-01"
    other.government_party = people.other_official.party
    other.save()
    TelemetryStream.objects.create(
        contract=other, code="water-level", kind="reading", interval_seconds=60,
        value_field="level_cm",
    )  # fmt: skip
    _other_key, other_secret = ingest_key_issue(
        contract=other, name="elsewhere", user=people.other_official
    )
    return SimpleNamespace(
        **vars(people),
        levels=levels,
        payments=payments,
        key=key,
        secret=secret,
        other_contract=other,
        other_secret=other_secret,
    )


def ndjson(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@pytest.fixture
def send():
    """send(secret, stream, body, content_type=…, gz=False, language="en") → the response
    (language None: the site's default, Chinese)."""

    def post(
        secret, stream, body: bytes, *, content_type="application/x-ndjson", gz=False,
        language="en",
    ):  # fmt: skip
        headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        if secret is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        if gz:
            body = gzip.compress(body)
            headers["HTTP_CONTENT_ENCODING"] = "gzip"
        return APIClient().generic(
            "POST", URL.format(stream=stream), body, content_type=content_type, **headers
        )

    return post


def stored() -> int:
    return TelemetryRecord.objects.count()
