"""The raw record export: the exact records of a period, in the canonical order and line
format of docs/telemetry.md, for officials of the agency and auditors."""

from datetime import UTC, datetime

import orjson
import pytest
from django.db import connection
from rest_framework.test import APIClient

from contracts.models import Period, TelemetryRecord
from contracts.telemetry.export import (
    CANONICAL_LINE_SQL,
    canonical_line,
    float_text,
    ts_text,
    ts_text_of,
)

pytestmark = pytest.mark.django_db

Q2_FIRST = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 2026-04-01 00:00 Asia/Shanghai
Q2_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00: the next period's


@pytest.fixture
def records(telemetry):
    """Records of 2026-Q2 around its boundaries, in no order (stored directly: the period is
    closed to ingestion)."""
    rows = [
        ("b-gauge", datetime(2026, 5, 1, tzinfo=UTC), "", 1.5, "ok"),
        ("B-gauge", datetime(2026, 5, 1, tzinfo=UTC), "", 100.0, ""),
        ("设备-1", datetime(2026, 4, 2, tzinfo=UTC), "", None, "offline"),
        ("b-gauge", Q2_FIRST, "r2", 1e20, "ok"),
        ("b-gauge", Q2_FIRST, "r10", 0.1, "ok"),
        ("a-gauge", datetime(2026, 6, 30, 15, 59, 59, 999999, tzinfo=UTC), "", -0.0001, ""),
        ("a-gauge", Q2_END, "", 5.0, ""),  # the next period's first instant
        ("a-gauge", datetime(2026, 3, 31, 15, 59, 59, tzinfo=UTC), "", 5.0, ""),  # Q1's last
    ]
    TelemetryRecord.objects.bulk_create(
        TelemetryRecord(stream=telemetry.levels, device=d, ts=t, record_id=r, value=v, status=s)
        for d, t, r, v, s in rows
    )
    return rows


EXPECTED_LINES = [
    "B-gauge\t2026-05-01T00:00:00.000000Z\t\t100\t",
    "a-gauge\t2026-06-30T15:59:59.999999Z\t\t-0.0001\t",
    "b-gauge\t2026-03-31T16:00:00.000000Z\tr10\t0.1\tok",
    "b-gauge\t2026-03-31T16:00:00.000000Z\tr2\t1e+20\tok",
    "b-gauge\t2026-05-01T00:00:00.000000Z\t\t1.5\tok",
    "设备-1\t2026-04-02T00:00:00.000000Z\t\t\toffline",
]


def export(user, query: str):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/v1/telemetry/water-level/export/?{query}")


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_lines_are_the_periods_records_in_canonical_order(telemetry, records):
    response = export(telemetry.auditor, "period=2026-Q2&format=lines")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body(response).splitlines() == EXPECTED_LINES


def test_ndjson_and_csv_carry_the_streams_field_names(telemetry, records):
    period = Period.objects.get(contract=telemetry.contract, label="2026-Q2")
    ndjson = body(export(telemetry.preparer, f"period={period.pk}&format=ndjson"))
    first = orjson.loads(ndjson.splitlines()[0])
    assert first == {
        "device": "B-gauge", "ts": "2026-05-01T00:00:00.000000Z", "record_id": "",
        "level_cm": 100.0, "status": "",
    }  # fmt: skip
    csv_text = body(export(telemetry.preparer, f"period=id:{period.pk}&format=csv"))
    assert csv_text.splitlines()[:2] == [
        "device,ts,record_id,level_cm,status",
        "B-gauge,2026-05-01T00:00:00.000000Z,,100,",
    ]
    assert len(csv_text.splitlines()) == 1 + len(EXPECTED_LINES)


def test_an_exported_csv_sent_again_is_all_duplicates(telemetry, send):
    # given: records ingested into an open quarter, and its period
    Period.objects.create(
        contract=telemetry.contract, label="2026-Q3", starts_on="2026-07-01",
        ends_on="2026-09-30", due_on="2026-10-15",
    )  # fmt: skip
    lines = b"".join(
        orjson.dumps({"device": f"g{i % 3}", "ts": f"2026-07-0{1 + i % 5}T0{i % 9}:00:00+08:00",
                      "level_cm": i / 3, "status": "ok"}) + b"\n"
        for i in range(40)
    )  # fmt: skip
    assert send(telemetry.secret, "water-level", lines).json()["new"] == 40
    # when
    exported = body(export(telemetry.auditor, "period=2026-Q3&format=csv")).encode()
    again = send(telemetry.secret, "water-level", exported, content_type="text/csv")
    # then
    assert again.json() == {"received": 40, "new": 0, "duplicates": 40}


def test_who_may_export(telemetry, records):
    assert export(telemetry.approver, "period=2026-Q2").status_code == 200
    assert export(telemetry.auditor, "period=2026-Q2").status_code == 200
    assert export(telemetry.enterprise, "period=2026-Q2").status_code == 403
    assert export(telemetry.other_enterprise, "period=2026-Q2").status_code == 403
    assert export(None, "period=2026-Q2").status_code in (401, 403)
    # another agency's official: their own contract has a water-level stream but no 2026-Q2
    assert export(telemetry.other_official, "period=2026-Q2").status_code == 404


def test_a_period_is_needed_and_must_exist(telemetry, records):
    assert export(telemetry.auditor, "").status_code == 400
    assert export(telemetry.auditor, "period=2031-Q1").status_code == 404
    assert export(telemetry.auditor, "period=2026-Q2&format=xml").status_code == 404
    assert export(telemetry.auditor, "period=id:99999999999999999999999").status_code == 404
    assert export(telemetry.auditor, "period=99999999999999999999999").status_code == 404
    assert export(telemetry.auditor, "period=2026-Q2&contract=a%00b").status_code == 400


def test_a_label_two_contracts_share_needs_the_contract(telemetry, records):
    Period.objects.create(
        contract=telemetry.other_contract, label="2026-Q2", starts_on="2026-04-01",
        ends_on="2026-06-30", due_on="2026-07-15",
    )  # fmt: skip
    assert export(telemetry.auditor, "period=2026-Q2").status_code == 400
    chosen = export(telemetry.auditor, f"period=2026-Q2&contract={telemetry.contract.code}")
    assert chosen.status_code == 200
    assert len(body(chosen).splitlines()) == len(EXPECTED_LINES)


@pytest.mark.parametrize(
    "value",
    [0.0, -0.0, 1.0, 100.0, 0.1, 1 / 3, 1e15, 1e14, 123456789012345.6, 1e-4, 1e-5, 2.5e-300,
     -1.7976931348623157e308, 5e-324, 12.25, 99.99, 999999999999999.9, 1e16, 12345678.0,
     0.00010000000000000002, 9.999999999999999e-05, -250.5],
)  # fmt: skip
def test_float_text_is_how_postgresql_prints_a_double(value):
    assert float(float_text(value)) == value
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT (%s)::float8::text", [repr(value)])  # text: no numeric step
            assert float_text(value) == cursor.fetchone()[0]


@pytest.mark.postgres_only
def test_the_canonical_line_in_sql_equals_the_exported_one(telemetry, records):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {CANONICAL_LINE_SQL} FROM contracts_telemetryrecord "
            'WHERE ts >= %s AND ts < %s ORDER BY device COLLATE "C", ts, record_id COLLATE "C"',
            [Q2_FIRST, Q2_END],
        )
        assert [row[0] for row in cursor.fetchall()] == EXPECTED_LINES
    assert canonical_line("x", Q2_FIRST, "", None, "") == "x\t2026-03-31T16:00:00.000000Z\t\t\t"


@pytest.mark.parametrize(
    "text",
    ["2026-03-01T08:00:00+08:00", "2026-02-28T16:00:00Z", "2026-02-28T16:00:00+00:00",
     "2026-02-28T16:00:00.5Z", "2026-02-28T16:00:00.123456Z", "2026-02-28T16:00:00.123456+00:00",
     "2026-02-28 16:00:00Z", "2026-02-28T16:00Z", "2026-02-28T23:59:59.999999-08:00"],
)  # fmt: skip
def test_a_sent_timestamp_becomes_the_canonical_one(text):
    ts = datetime.fromisoformat(text)
    assert ts_text_of(text, ts) == ts_text(ts)
