"""Storage on PostgreSQL: the records table is partitioned by month (Asia/Shanghai months),
partitions are created ahead by a beat task and by ingestion for the months it writes, rows
that reached the default partition move into their month's, and a stream with records is
not deleted whatever the SQL."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from contracts.models import TelemetryRecord
from contracts.tasks import create_telemetry_partitions
from contracts.telemetry.partitions import (
    DEFAULT,
    partition_name,
    telemetry_partitions,
    telemetry_partitions_ahead,
    telemetry_partitions_ensure,
)
from tests.telemetry.conftest import ndjson

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def where_rows_are() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM contracts_telemetryrecord GROUP BY 1"
        )
        return dict(cursor.fetchall())


def test_the_table_is_partitioned_with_a_default_partition():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partstrat, pg_get_partkeydef(partrelid) FROM pg_partitioned_table "
            "WHERE partrelid = 'contracts_telemetryrecord'::regclass"
        )
        assert cursor.fetchone() == ("r", "RANGE (ts)")
    assert (DEFAULT, "DEFAULT") in telemetry_partitions()


def test_the_beat_task_creates_this_month_and_two_ahead_once():
    # when
    created = telemetry_partitions_ahead(today=date(2026, 12, 2))
    again = telemetry_partitions_ahead(today=date(2026, 12, 2))
    # then: months of Asia/Shanghai (midnight there is 16:00 UTC the day before)
    assert created == [
        "contracts_telemetryrecord_p202612",
        "contracts_telemetryrecord_p202701",
        "contracts_telemetryrecord_p202702",
    ]
    assert again == []
    bounds = dict(telemetry_partitions())
    assert bounds["contracts_telemetryrecord_p202612"] == (
        "FOR VALUES FROM ('2026-11-30 16:00:00+00') TO ('2026-12-31 16:00:00+00')"
    )
    # the task itself (today's months) runs too, and twice changes nothing
    create_telemetry_partitions.apply().get()
    count = len(telemetry_partitions())
    create_telemetry_partitions.apply().get()
    assert len(telemetry_partitions()) == count


def test_rows_in_the_default_partition_move_into_their_new_month(telemetry):
    # given: a record of May 2027 (Asia/Shanghai) written before its partition exists
    at = datetime(2027, 4, 30, 16, 0, tzinfo=UTC)  # 2027-05-01 00:00 local
    TelemetryRecord.objects.create(stream=telemetry.levels, device="g", ts=at, value=1.0)
    assert where_rows_are() == {DEFAULT: 1}
    # when
    created = telemetry_partitions_ensure(first=date(2027, 5, 1), last=date(2027, 5, 31))
    # then
    assert created == [partition_name(date(2027, 5, 1))]
    assert where_rows_are() == {"contracts_telemetryrecord_p202705": 1}
    assert TelemetryRecord.objects.get().ts == at


def test_ingestion_writes_into_the_months_partition(telemetry, send):
    records = [
        {"device": "g", "ts": "2026-07-31T23:59:59+08:00", "level_cm": 1},
        {"device": "g", "ts": "2026-08-01T00:00:00+08:00", "level_cm": 2},
    ]
    assert send(telemetry.secret, "water-level", ndjson(records)).json()["new"] == 2
    assert where_rows_are() == {
        "contracts_telemetryrecord_p202607": 1,
        "contracts_telemetryrecord_p202608": 1,
    }


def test_a_stream_with_records_is_not_deleted(telemetry, send):
    record = {"device": "g", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 1}
    send(telemetry.secret, "water-level", ndjson([record]))
    with pytest.raises(ProtectedError):
        telemetry.levels.delete()
    with (
        pytest.raises(IntegrityError, match="has records"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM contracts_telemetrystream WHERE id = %s", [telemetry.levels.pk])


def commit_when_waited_on(other, settings) -> None:
    import time

    import psycopg2

    watcher = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
        host=settings["HOST"], port=settings["PORT"],
    )  # fmt: skip
    watcher.autocommit = True
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO contracts_tel%%'"
                )
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.05)
    finally:
        watcher.close()
        other.commit()


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_races_another_counts_its_records_as_duplicates(telemetry, send):
    """Another connection stores one of the batch's records while the batch is being
    written: the anti-join did not see it, the insert meets it (a unique violation), and the
    batch is written again with ON CONFLICT: nothing fails, nothing is stored twice."""
    import threading

    import psycopg2

    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
        host=settings["HOST"], port=settings["PORT"],
    )  # fmt: skip
    telemetry_partitions_ensure(first=date(2026, 7, 1), last=date(2026, 7, 1))
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO contracts_telemetryrecord "
                "(stream_id, device, ts, record_id, value, status) "
                "VALUES (%s, 'g', '2026-07-01T00:00:00Z', '', 1, '')",
                [telemetry.levels.pk],
            )
        # committed once the batch's insert waits on its uncommitted key
        timer = threading.Thread(target=commit_when_waited_on, args=(other, settings))
        timer.start()
        records = [
            {"device": "g", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 2},
            {"device": "h", "ts": "2026-07-01T08:00:00+08:00", "level_cm": 3},
        ]
        response = send(telemetry.secret, "water-level", ndjson(records))
        timer.join()
        assert response.json() == {"received": 2, "new": 1, "duplicates": 1}
        assert sorted(TelemetryRecord.objects.values_list("device", "value")) == [
            ("g", 1.0),
            ("h", 3.0),
        ]
    finally:
        other.rollback()
        other.close()
