"""The raw record export: the exact records of one stream in one period, in the canonical
order and line format of `docs/telemetry.md` ("Raw record export"), so that an auditor can
recompute the period's fingerprint from it.

Canonical order: device, then ts, then record_id, strings compared by code point (UTF-8
bytes; PostgreSQL: COLLATE "C"). Canonical line (`canonical_line`): the five stored columns
joined by tabs — device, ts in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, record_id, value as
PostgreSQL prints a double precision (`value::text`: the shortest text that reads back the
same number; empty when null), status. Ingestion refuses control characters (tabs,
newlines) in the text fields, so a line is unambiguous.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import orjson
from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

from contracts.models import Period, TelemetryRecord, TelemetryStream
from contracts.telemetry.windows import period_window

CHUNK = 5000
EXPORT_FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv", "lines": "text/plain"}
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


# The canonical line of a row of contracts_telemetryrecord in SQL (PostgreSQL 12+, whose float
# output is the shortest exact text with extra_float_digits = 1, the default): how the tests
# and the aggregation benchmark compute the fingerprint independently of this module.
CANONICAL_LINE_SQL = (
    "concat_ws(E'\\t', device, "
    "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "record_id, coalesce(value::text, ''), status)"
)


def float_text(value: float | None) -> str:
    """A double as PostgreSQL prints it (float8out): the shortest digits that read back the
    same number, in fixed notation for decimal exponents -4 to 14, else d.ddde+XX."""
    if value is None:
        return ""
    if 1e-4 <= abs(value) < 1e15:  # Python's repr is fixed notation here too: "12.5", "3.0"
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    e10 = len(digits) - 1 + exponent
    minus = "-" if sign else ""
    if -4 <= e10 < 15:
        if exponent >= 0:
            return f"{minus}{text}{'0' * exponent}"
        point = len(text) + exponent
        if point > 0:
            return f"{minus}{text[:point]}.{text[point:]}"
        return f"{minus}0.{'0' * -point}{text}"
    mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
    return f"{minus}{mantissa}e{'+' if e10 >= 0 else '-'}{abs(e10):02d}"


def ts_text(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime(TS_FORMAT)


def ts_text_of(text: str, ts: datetime) -> str:
    """`ts_text(ts)` for `ts = datetime.fromisoformat(text)`, without formatting when the
    text is already UTC in the extended format (YYYY-MM-DDTHH:MM:SS[.ffffff] then Z or
    +00:00), as most senders write it."""
    if text[-1] == "Z":
        body = text[:-1]
    elif text.endswith("+00:00"):
        body = text[:-6]
    else:
        return ts_text(ts)
    n = len(body)
    if (n == 19 or (n == 26 and body[19] == ".")) and (
        body[4] == "-" and body[7] == "-" and body[10] == "T" and body[13] == body[16] == ":"
    ):
        return f"{body}.000000Z" if n == 19 else f"{body}Z"
    return ts_text(ts)


def canonical_line(device: str, ts: datetime, record_id: str, value, status: str) -> str:
    return "\t".join((device, ts_text(ts), record_id, float_text(value), status))


def export_rows(*, stream: TelemetryStream, period: Period) -> Iterator[tuple]:
    """(device, ts, record_id, value, status) of the stream's records in the period, in the
    canonical order, read in chunks (a server-side cursor on PostgreSQL)."""
    start, end = period_window(period.starts_on, period.ends_on)
    collation = "C" if connection.vendor == "postgresql" else "BINARY"
    return (
        TelemetryRecord.objects.filter(stream=stream, ts__gte=start, ts__lt=end)
        .order_by(Collate(F("device"), collation), "ts", Collate(F("record_id"), collation))
        .values_list("device", "ts", "record_id", "value", "status")
        .iterator(chunk_size=CHUNK)
    )


def export_chunks(*, stream: TelemetryStream, period: Period, fmt: str) -> Iterator[bytes]:
    """The export as chunks of bytes: `ndjson` and `csv` carry the stream's own field names
    (a file that could be sent to the ingest endpoint again), `lines` the canonical lines."""
    value_name = stream.value_field or "value"
    status_name = stream.status_field or "status"
    rows = export_rows(stream=stream, period=period)
    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buffer, lineterminator="\n")
        header = ["device", "ts", "record_id"]
        header += [name for name in (stream.value_field, stream.status_field) if name]
        writer.writerow(header)
    for count, (device, ts, record_id, value, status) in enumerate(rows, 1):
        if fmt == "lines":
            buffer.write(canonical_line(device, ts, record_id, value, status))
            buffer.write("\n")
        elif fmt == "csv":
            row = [device, ts_text(ts), record_id]
            if stream.value_field:
                row.append(float_text(value))
            if stream.status_field:
                row.append(status)
            writer.writerow(row)
        else:
            record = {"device": device, "ts": ts_text(ts), "record_id": record_id}
            if stream.value_field:
                record[value_name] = value
            if stream.status_field:
                record[status_name] = status
            buffer.write(orjson.dumps(record).decode())
            buffer.write("\n")
        if count % CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
