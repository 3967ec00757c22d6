"""Monthly partitions of the telemetry table on PostgreSQL (other databases: nothing to do).

A partition covers one calendar month in the site's time zone (`TIME_ZONE`, Asia/Shanghai),
so a monthly evaluation period is exactly one partition. The beat task creates the current
month and the next two ahead; ingestion also makes sure the months of its batch exist
(`telemetry_partitions_ensure`), so records never wait for the task. Rows that reached the
DEFAULT partition (none should) are moved into a month's partition when it is created.
Idempotent: creating an existing partition does nothing.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

TABLE = "contracts_telemetryrecord"
DEFAULT = f"{TABLE}_default"
COLUMNS = "stream_id, device, ts, record_id, value, status"
# Months whose partition this process has seen: the check costs a query only once a month.
_known: set[date] = set()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def _bound(month: date) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(month.year, month.month, 1, tzinfo=zone).isoformat()


def telemetry_partitions_ensure(*, first: date, last: date) -> list[str]:
    """Create the partitions of every month from `first`'s to `last`'s that is missing;
    returns the names created. PostgreSQL only (elsewhere: [])."""
    if connection.vendor != "postgresql":
        return []
    created = []
    month = month_start(first)
    while month <= last:
        if month not in _known:
            if _create(month):
                created.append(partition_name(month))
            _known.add(month)
        month = add_months(month, 1)
    return created


def telemetry_partitions_ahead(*, today: date, months_ahead: int = 2) -> list[str]:
    """The beat task's call: this month and `months_ahead` after it."""
    return telemetry_partitions_ensure(
        first=today, last=add_months(month_start(today), months_ahead)
    )


def _create(month: date) -> bool:
    name = partition_name(month)
    lower, upper = _bound(month), _bound(add_months(month, 1))
    with transaction.atomic(), connection.cursor() as cursor:
        # One creator at a time (two ingest requests may meet the same new month).
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE ts >= %s AND ts < %s)", [lower, upper]
        )
        if not cursor.fetchone()[0]:
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                [lower, upper],
            )
            return True
        # The default partition holds rows of this month: move them into the new table,
        # then attach it (attaching checks that the default partition keeps none).
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE ts >= %s AND ts < %s "
            f"RETURNING {COLUMNS}) INSERT INTO {name} ({COLUMNS}) SELECT {COLUMNS} FROM moved",
            [lower, upper],
        )
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [lower, upper],
        )
        return True


def telemetry_partitions() -> list[tuple[str, str]]:
    """(partition, its bounds) of the telemetry table, for tests and operators."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass "
            "ORDER BY c.relname",
            [TABLE],
        )
        return cursor.fetchall()


def forget_known_partitions() -> None:
    """Tests: the database was rebuilt under this process."""
    _known.clear()
