"""Ingestion through the API: a batch is accepted whole or refused whole, with the line and
field of the first errors, and a record sent twice counts once."""

from datetime import UTC, date, datetime

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from contracts.models import TelemetryRecord
from contracts.telemetry.fingerprint import digest_total, fingerprint_of
from tests.telemetry import reference as ref
from tests.telemetry.conftest import ndjson, stored

pytestmark = pytest.mark.django_db

GOOD = [
    {"device": "gauge-01", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 12.5, "status": "ok"},
    {"device": "gauge-01", "ts": "2026-07-01T00:05:00Z", "level_cm": 13},
    {"device": "gauge-02", "ts": "2026-07-01T08:00:00.250+08:00", "status": "low-battery"},
]


def test_a_batch_is_stored_with_value_and_status_mapped_and_ts_in_utc(telemetry, send):
    # when
    response = send(telemetry.secret, "water-level", ndjson(GOOD))
    # then
    assert response.status_code == 200, response.json()
    assert response.json() == {"received": 3, "new": 3, "duplicates": 0}
    rows = list(
        TelemetryRecord.objects.order_by("device", "ts").values_list(
            "stream_id", "device", "ts", "record_id", "value", "status"
        )
    )
    stream = telemetry.levels.pk
    assert rows == [
        (stream, "gauge-01", datetime(2026, 7, 1, 0, 0, tzinfo=UTC), "", 12.5, "ok"),
        (stream, "gauge-01", datetime(2026, 7, 1, 0, 5, tzinfo=UTC), "", 13.0, ""),
        (stream, "gauge-02", datetime(2026, 7, 1, 0, 0, 0, 250000, tzinfo=UTC), "", None,
         "low-battery"),
    ]  # fmt: skip


def test_the_same_batch_sent_twice_counts_once(telemetry, send):
    # given
    send(telemetry.secret, "water-level", ndjson(GOOD))
    # when: again, and once more with one new record and a duplicate inside the batch
    again = send(telemetry.secret, "water-level", ndjson(GOOD))
    extra = {"device": "gauge-03", "ts": "2026-07-02T00:00:00+08:00", "level_cm": 1}
    mixed = send(telemetry.secret, "water-level", ndjson([*GOOD, extra, extra]))
    # then
    assert again.json() == {"received": 3, "new": 0, "duplicates": 3}
    assert mixed.json() == {"received": 5, "new": 1, "duplicates": 4}
    assert stored() == 4


def test_the_fingerprints_sums_count_each_stored_record_once(telemetry, send):
    """The day sums written with the records (contracts/telemetry/fingerprint.py) equal the
    auditor's recomputation from the stored rows, after batches of new records, of
    duplicates only, and of both, with a duplicate inside the batch."""
    extra = [
        {"device": "gauge-03", "ts": "2026-07-02T00:00:00+08:00", "level_cm": 1},
        {"device": "gauge-03", "ts": "2026-07-02T00:00:00+08:00", "level_cm": 2},  # same key
        {"device": "gauge-03", "ts": "2026-07-01T23:59:59.5+08:00", "status": "ok"},
    ]
    for batch in (GOOD, GOOD, [*GOOD, *extra], extra):
        assert send(telemetry.secret, "water-level", ndjson(batch)).status_code == 200
    rows = list(TelemetryRecord.objects.values_list("device", "ts", "record_id", "value", "status"))
    start, end = ref.window(date(2026, 7, 1), date(2026, 7, 2))
    assert len(rows) == 5
    assert fingerprint_of(
        *digest_total(
            stream_id=telemetry.levels.pk, first_day=date(2026, 7, 1), last_day=date(2026, 7, 2)
        )
    ) == ref.fingerprint(rows, start, end)
    # one day's sums are the fingerprint of that day's records alone
    day_start, day_end = ref.window(date(2026, 7, 2), date(2026, 7, 2))
    assert fingerprint_of(
        *digest_total(
            stream_id=telemetry.levels.pk, first_day=date(2026, 7, 2), last_day=date(2026, 7, 2)
        )
    ) == ref.fingerprint(rows, day_start, day_end)


def test_the_same_instant_in_another_offset_is_the_same_record(telemetry, send):
    send(telemetry.secret, "water-level", ndjson(GOOD[:1]))
    same = {**GOOD[0], "ts": "2026-07-01T00:00:00+00:00"}
    assert send(telemetry.secret, "water-level", ndjson([same])).json()["duplicates"] == 1


def test_record_ids_tell_records_of_one_instant_apart(telemetry, send):
    # given: two payments at the same instant on one terminal
    records = [
        {"device": "pos-7", "ts": "2026-07-01T12:00:00+08:00", "record_id": "tx-1", "amount": 2,
         "result": "ok"},
        {"device": "pos-7", "ts": "2026-07-01T12:00:00+08:00", "record_id": "tx-2", "amount": 2,
         "result": "declined"},
    ]  # fmt: skip
    # when
    response = send(telemetry.secret, "payments", ndjson(records))
    # then
    assert response.json() == {"received": 2, "new": 2, "duplicates": 0}
    assert set(TelemetryRecord.objects.values_list("record_id", "status")) == {
        ("tx-1", "ok"),
        ("tx-2", "declined"),
    }


def test_csv_and_gzip_are_accepted(telemetry, send):
    body = (
        b"device,ts,level_cm,status\n"
        b"gauge-01,2026-07-01T08:00:00+08:00,12.5,ok\n"
        b'"gauge,02",2026-07-01T08:05:00+08:00,,\n'
    )
    plain = send(telemetry.secret, "water-level", body, content_type="text/csv")
    zipped = send(
        telemetry.secret, "water-level", ndjson(GOOD), content_type="application/x-ndjson", gz=True
    )
    assert plain.json() == {"received": 2, "new": 2, "duplicates": 0}
    assert zipped.json() == {"received": 3, "new": 2, "duplicates": 1}
    assert TelemetryRecord.objects.get(device="gauge,02").value is None


def test_bad_lines_refuse_the_whole_batch_with_line_and_field(telemetry, send, english):
    # given: a good first line, then one error per line
    body = ndjson(GOOD[:1]) + b"\n".join(
        [
            b"{not json",
            b'{"device": "g", "ts": "2026-07-01T08:00:00+08:00", "level_cm": "12"}',
            b'{"device": "g", "ts": "2026-07-01T08:00:00"}',
            b'{"device": "g", "ts": "2026-07-01T08:00:00Z", "levle_cm": 1}',
            b'{"device": 7, "ts": "2026-07-01T08:00:00Z"}',
            b'{"ts": "yesterday"}',
            b"[1, 2]",
            b'{"device": "tab\\there", "ts": "2026-07-01T08:00:00Z"}',
        ]
    )
    # when
    response = send(telemetry.secret, "water-level", body)
    # then
    assert response.status_code == 400
    errors = [(e["line"], e["field"]) for e in response.json()["errors"]]
    assert errors == [
        (2, ""),
        (3, "level_cm"),
        (4, "ts"),
        (5, "levle_cm"),
        (6, "device"),
        (7, "ts"),
        (7, "device"),
        (8, ""),
        (9, "device"),
    ]
    messages = {e["line"]: e["message"] for e in response.json()["errors"]}
    assert "naive" in messages[4]
    assert "unknown field" in messages[5] and "level_cm" in messages[5]
    assert response.json()["detail"].startswith("The batch is refused, nothing was written: line 2")
    assert stored() == 0


def test_errors_are_in_chinese_by_default(telemetry, send):
    body = b'{"device": "g", "ts": "2026-07-01T08:00:00"}'
    error = send(telemetry.secret, "water-level", body, language=None).json()["errors"][0]
    assert error == {
        "line": 1,
        "field": "ts",
        "message": "时间没有时区偏移：请给出偏移，例如 +08:00 或 Z",
    }


def test_csv_errors_name_line_and_column(telemetry, send, english):
    body = (
        b"device,ts,level_cm\n"
        b"gauge-01,2026-07-01T08:00:00+08:00,12.5\n"
        b"gauge-01,2026-07-01T08:05:00+08:00,twelve\n"
        b"gauge-01,2026-07-01T08:10:00+08:00\n"
        b"gauge-01,2026-07-01 08:15,1\n"
        b"gauge-01,2026-07-01T08:20:00+08:00,nan\n"
    )
    response = send(telemetry.secret, "water-level", body, content_type="text/csv")
    assert response.status_code == 400
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (3, "level_cm"),
        (4, ""),
        (5, "ts"),
        (6, "level_cm"),
    ]
    header = send(telemetry.secret, "water-level", b"device,when\nx,y\n", content_type="text/csv")
    assert [(e["line"], e["field"]) for e in header.json()["errors"]] == [(1, "when"), (1, "ts")]
    assert stored() == 0


def test_records_outside_the_term_or_in_a_closed_period_are_refused(telemetry, send, english):
    # given: the term is 2017-07-01 .. 2029-06-30 (Asia/Shanghai); 2026-Q2 is submitted
    body = ndjson(
        [
            GOOD[0],
            {"device": "g", "ts": "2017-06-30T23:59:59+08:00"},  # the day before the term
            {"device": "g", "ts": "2017-06-30T16:00:00Z"},  # its first instant: fine
            {"device": "g", "ts": "2029-06-30T16:00:00Z"},  # the first instant after it
            {"device": "g", "ts": "2026-06-30T23:59:59+08:00"},  # the last of 2026-Q2
            {"device": "g", "ts": "2026-03-31T16:00:00Z"},  # the first of 2026-Q2
        ]
    )
    # when
    response = send(telemetry.secret, "water-level", body)
    # then
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "ts"), (4, "ts"), (5, "ts"), (6, "ts")]
    assert "outside the contract's term" in errors[0]["message"]
    assert "2026-Q2" in errors[2]["message"] and "closed" in errors[2]["message"]
    assert stored() == 0


def test_at_most_twenty_errors_are_listed(telemetry, send):
    body = b"\n".join(b'{"device": "g"}' for _ in range(100))
    errors = send(telemetry.secret, "water-level", body).json()["errors"]
    assert len(errors) == 20 and errors[-1]["line"] == 20


@override_settings(TELEMETRY_MAX_BATCH_BYTES=10_000)
def test_a_batch_over_the_size_limit_is_refused(telemetry, send):
    records = [{"device": "g", "ts": f"2026-07-01T08:{m:02d}:00+08:00"} for m in range(60)] * 5
    body = ndjson(records)
    assert len(body) > 10_000
    response = send(telemetry.secret, "water-level", body)
    assert response.status_code == 413
    assert stored() == 0


@override_settings(TELEMETRY_MAX_BATCH_BYTES=1_000_000)
def test_a_gzip_bomb_is_refused_once_it_unpacks_beyond_the_limit(telemetry, send, english):
    # given: 50 MB of spaces packed in about 50 kB
    body = b" " * 50_000_000
    # when
    response = send(telemetry.secret, "water-level", body, gz=True)
    # then
    assert response.status_code == 413
    assert "once decompressed" in response.json()["detail"]
    assert stored() == 0


def test_a_body_that_is_not_gzip_and_unknown_formats_are_refused(telemetry, send):
    # a plain body announced as gzip
    not_gzip = APIClient().generic(
        "POST",
        "/api/v1/telemetry/water-level/",
        ndjson(GOOD),
        content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {telemetry.secret}",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert not_gzip.status_code == 400
    assert not_gzip.json()["errors"][0]["field"] == "Content-Encoding"
    # neither NDJSON nor CSV
    xml = send(telemetry.secret, "water-level", b"<r/>", content_type="application/xml")
    assert xml.status_code == 415
    assert stored() == 0


def test_keys_decide_who_may_send_and_where(telemetry, send):
    body = ndjson(GOOD)
    # no key, a malformed one, a person's kind of header
    assert send(None, "water-level", body).status_code == 401
    assert send("ppp_ik_nothing_here", "water-level", body).status_code == 401
    assert send(telemetry.secret + "x", "water-level", body).status_code == 401
    # another contract's key: its contract has this stream code, not the streams of ours
    other = send(telemetry.other_secret, "payments", body)
    assert other.status_code == 404
    # an unknown stream
    assert send(telemetry.secret, "no-such-stream", body).status_code == 404
    assert stored() == 0
    # a revoked key
    from contracts.telemetry.keys import ingest_key_revoke

    ingest_key_revoke(key=telemetry.key, user=telemetry.approver)
    assert send(telemetry.secret, "water-level", body).status_code == 401
    assert stored() == 0


def test_a_key_writes_only_into_its_own_contracts_stream(telemetry, send):
    # given: both contracts have a stream "water-level"
    record = {"device": "gauge-01", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 1}
    response = send(telemetry.other_secret, "water-level", ndjson([record]))
    # then: the record is the other contract's
    assert response.status_code == 200
    assert TelemetryRecord.objects.get().stream.contract == telemetry.other_contract


def test_gzip_members_are_read_in_turn_and_a_truncated_body_is_refused(telemetry, send):
    # given: two gzip members one after the other (what `cat a.gz b.gz` gives)
    import gzip

    body = gzip.compress(ndjson(GOOD[:2])) + gzip.compress(ndjson(GOOD[2:]))
    both = APIClient().generic(
        "POST", "/api/v1/telemetry/water-level/", body, content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {telemetry.secret}", HTTP_CONTENT_ENCODING="gzip",
    )  # fmt: skip
    assert both.json() == {"received": 3, "new": 3, "duplicates": 0}
    # when: a body cut short
    cut = gzip.compress(ndjson(GOOD * 50))[:-20]
    short = APIClient().generic(
        "POST", "/api/v1/telemetry/water-level/", cut, content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {telemetry.secret}", HTTP_CONTENT_ENCODING="gzip",
    )  # fmt: skip
    # then
    assert short.status_code == 400
    assert short.json()["errors"][0]["field"] == "Content-Encoding"
    assert stored() == 3


def test_a_keys_last_use_is_recorded(telemetry, send):
    assert telemetry.key.last_used_at is None
    send(telemetry.secret, "water-level", ndjson(GOOD))
    telemetry.key.refresh_from_db()
    assert telemetry.key.last_used_at is not None


@pytest.mark.postgres_only  # SQLite (the demo) inserts in statements of ~166 rows
@pytest.mark.parametrize("size", [10, 3000])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    telemetry, send, size, django_assert_max_num_queries
):
    records = [
        {"device": f"g{i % 7}", "ts": f"2026-07-01T00:00:{i % 60:02d}.{i:06d}Z", "level_cm": i}
        for i in range(size)
    ]
    body = ndjson(records)
    # key, last use, stream, closed periods, partitions, staging, COPY, insert, checks…
    with django_assert_max_num_queries(20):
        response = send(telemetry.secret, "water-level", body)
    assert response.json()["new"] == size


def test_null_means_absent_and_other_types_are_refused(telemetry, send):
    nulls = {"device": "g", "ts": "2026-07-01T00:00:00Z", "record_id": None, "level_cm": None,
             "status": None}  # fmt: skip
    assert send(telemetry.secret, "water-level", ndjson([nulls])).json()["new"] == 1
    assert TelemetryRecord.objects.values_list("record_id", "value", "status").get() == (
        "", None, "",
    )  # fmt: skip
    wrong = [
        {"device": "g", "ts": "2026-07-01T00:05:00Z", "record_id": 7, "status": True},
        {"device": "g", "ts": "2026-07-01T00:05:00Z", "record_id": 0, "status": 0},
        {"device": "g", "ts": "2026-07-01T00:05:00Z", "level_cm": False, "status": []},
    ]
    errors = send(telemetry.secret, "water-level", ndjson(wrong)).json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (1, "record_id"), (1, "status"), (2, "record_id"), (2, "status"), (3, "level_cm"),
        (3, "status"),
    ]  # fmt: skip


def test_text_is_stored_exactly_whatever_its_characters(telemetry, send):
    devices = ["dev\\1", 'say "hi", ok', "积水监测-07", "tab-free\\t"]
    records = [{"device": d, "ts": "2026-07-01T00:00:00Z", "status": d[:32]} for d in devices]
    assert send(telemetry.secret, "water-level", ndjson(records)).json()["new"] == 4
    assert sorted(TelemetryRecord.objects.values_list("device", "status")) == sorted(
        (d, d[:32]) for d in devices
    )
