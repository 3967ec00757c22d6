"""Telemetry ingestion: one batch (NDJSON or CSV, gzip allowed) into a stream, accepted or
refused whole.

The body is read as a stream, decompressed with a bound on its size (a gzip bomb stops at
`TELEMETRY_MAX_BATCH_BYTES`), parsed and checked record by record into a spooled file of
normalised rows in COPY's text format (memory stays flat: no list of records, no model
instances); only when every record is valid are they written — on PostgreSQL by `COPY` into
a temporary staging table and one `INSERT … SELECT … ON CONFLICT DO NOTHING`, elsewhere by
`bulk_create(ignore_conflicts=True)` in chunks. A record whose key (stream, device, ts,
record_id) is already stored, or comes earlier in the same batch, is a duplicate: counted,
not written again.

Refused (400, nothing written), with the line and field of the first errors: malformed
lines, wrong types, unknown fields, naive timestamps, records outside the contract's term,
records in a period closed to telemetry (`contracts.workflow.telemetry_closed_q`).
"""

import bisect
import csv
import io
import math
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from contracts.models import Period, TelemetryStream
from contracts.telemetry.export import float_text, ts_text_of
from contracts.telemetry.fingerprint import DaySums, digests_add, line_hash, record_hash
from contracts.telemetry.partitions import telemetry_partitions_ensure
from contracts.telemetry.windows import day_start, local_day, period_window
from contracts.workflow import telemetry_closed_q

MAX_ERRORS = 20
FORMATS = {"application/x-ndjson": "ndjson", "text/csv": "csv"}
READ_CHUNK = 256 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # normalised rows beyond this go to a temporary file
ONE_DAY = timedelta(days=1)
DEVICE_MAX, RECORD_ID_MAX, STATUS_MAX = 64, 64, 32


class BatchRefused(Exception):
    """The batch is refused whole: `errors` are [{"line", "field", "message"}, …]."""

    status = 400

    def __init__(self, detail: str, errors: list[dict] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class BatchTooLarge(BatchRefused):
    status = 413


class FormatUnsupported(BatchRefused):
    status = 415


@dataclass
class IngestResult:
    received: int
    new: int

    @property
    def duplicates(self) -> int:
        return self.received - self.new

    def as_dict(self) -> dict:
        return {"received": self.received, "new": self.new, "duplicates": self.duplicates}


def max_batch_bytes() -> int:
    return settings.TELEMETRY_MAX_BATCH_BYTES


def batch_format(content_type: str) -> str:
    """`ndjson` or `csv` from a Content-Type (FormatUnsupported otherwise)."""
    media = content_type.split(";")[0].strip().lower()
    if media not in FORMATS:
        raise FormatUnsupported(
            _("Send application/x-ndjson or text/csv (got %(type)s).")
            % {"type": media or _("no Content-Type")}
        )
    return FORMATS[media]


class _Decoded(io.RawIOBase):
    """The request body, gunzipped when `gzip`, refused (BatchTooLarge) once more than
    `limit` bytes arrive or come out of the decompressor."""

    def __init__(self, source, *, gzip: bool, limit: int):
        self._source = source
        self._gzip = gzip
        self._decompressor = zlib.decompressobj(wbits=31) if gzip else None
        self._limit = limit
        self._read = self._out_total = 0
        self._out = memoryview(b"")
        self._eof = False

    def readable(self) -> bool:
        return True

    def _too_large(self):
        raise BatchTooLarge(
            _("The batch is larger than %(limit)d bytes%(unpacked)s: send it in smaller batches.")
            % {"limit": self._limit, "unpacked": _(" once decompressed") if self._gzip else ""}
        )

    def _next(self) -> bytes:
        d = self._decompressor
        if d is not None and d.unconsumed_tail:
            data = d.unconsumed_tail
        elif d is not None and d.eof and d.unused_data:
            data = d.unused_data  # the next gzip member
            d = self._decompressor = zlib.decompressobj(wbits=31)
        else:
            data = self._source.read(READ_CHUNK)
            self._read += len(data)
            if self._read > self._limit:
                self._too_large()
            if not data:
                self._eof = True
                if d is not None and not d.eof:
                    raise BatchRefused(
                        _("The gzip data ends before its end (truncated)."),
                        [{"line": 0, "field": "Content-Encoding", "message": _("truncated gzip")}],
                    )
                return b""
        if d is None:
            out = data
        else:
            try:
                out = d.decompress(data, READ_CHUNK)
            except zlib.error:
                raise BatchRefused(
                    _("The body is not gzip data (Content-Encoding: gzip)."),
                    [{"line": 0, "field": "Content-Encoding", "message": _("not gzip data")}],
                ) from None
        self._out_total += len(out)
        if self._out_total > self._limit:
            self._too_large()
        return out

    def readinto(self, buffer) -> int:
        while not self._out:
            if self._eof:
                return 0
            self._out = memoryview(self._next())
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


@dataclass
class _Rules:
    """What a record's timestamp must satisfy: within the contract's term, outside every
    period closed to telemetry."""

    term_start: datetime
    term_end: datetime
    closed_starts: list[datetime] = field(default_factory=list)
    closed_ends: list[datetime] = field(default_factory=list)
    closed_labels: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, stream: TelemetryStream) -> "_Rules":
        contract = stream.contract
        rules = cls(*period_window(contract.starts_on, contract.ends_on))
        for period in closed_periods(contract_id=contract.pk):
            start, end = period_window(period.starts_on, period.ends_on)
            rules.closed_starts.append(start)
            rules.closed_ends.append(end)
            rules.closed_labels.append(period.label)
        return rules

    def refusal(self, ts: datetime) -> str | None:
        if ts < self.term_start or ts >= self.term_end:
            return _("outside the contract's term (%(start)s to %(end)s, %(zone)s)") % {
                "start": self.term_start.astimezone(ZoneInfo(settings.TIME_ZONE)).date(),
                "end": (
                    self.term_end.astimezone(ZoneInfo(settings.TIME_ZONE)) - timedelta(days=1)
                ).date(),
                "zone": settings.TIME_ZONE,
            }
        i = bisect.bisect_right(self.closed_starts, ts) - 1
        if i >= 0 and ts < self.closed_ends[i]:
            return _(
                "in period %(label)s, which is closed to telemetry (its figures are submitted "
                "or its payment is prepared)"
            ) % {"label": self.closed_labels[i]}
        return None


def closed_periods(*, contract_id: int) -> list[Period]:
    """The contract's periods closed to telemetry, in order."""
    return list(
        Period.objects.filter(contract_id=contract_id)
        .filter(telemetry_closed_q())
        .order_by("starts_on")
        .only("label", "starts_on", "ends_on")
    )


class _Errors(list):
    def add(self, line: int, field_name: str, message: str) -> None:
        self.append({"line": line, "field": field_name, "message": str(message)})

    @property
    def full(self) -> bool:
        return len(self) >= MAX_ERRORS


def _text_refusal(value, limit: int, *, required: bool) -> str | None:
    if value is None:
        return _("missing")
    if type(value) is not str:
        return _("must be a string")
    if required and not value:
        return _("must not be empty")
    if len(value) > limit:
        return _("at most %(limit)d characters") % {"limit": limit}
    if not value.isprintable():
        return _("control characters are not allowed")
    return None


def _ts_parse(text) -> tuple[datetime | None, str | None]:
    if text is None:
        return None, _("missing")
    if type(text) is not str:
        return None, _("must be an ISO 8601 timestamp string with an offset")
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None, _("not an ISO 8601 timestamp (e.g. 2026-03-01T08:00:00+08:00)")
    if ts.tzinfo is None:
        return None, _("a naive timestamp: give its offset, e.g. +08:00 or Z")
    return ts, None  # aware: compared as instants, whatever the offset


NULL = "\\N"
ROWS_PER_WRITE = 8192


def _copy_text(value: str) -> str:
    """A text field for COPY's text format: only the backslash needs escaping (control
    characters were refused)."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def _finite(number: int) -> float | None:
    """An integer as the stored double; None beyond a double's range."""
    try:
        return float(number)
    except OverflowError:
        return None


class _Parser:
    """Checks records and writes the valid ones to `out` as COPY text rows of the records
    table (stream id, device, ts in UTC, record_id, value, status), adding each one's hash to
    the batch's day sums (`sums`). Stops collecting errors at MAX_ERRORS."""

    def __init__(self, stream: TelemetryStream, out):
        self.stream = stream
        self.rules = _Rules.of(stream)
        self.out = out
        self.lines: list[str] = []
        self.errors = _Errors()
        self.received = 0
        self.sums = DaySums()
        self.first_day: date | None = None  # local days of the first and last valid record
        self.last_day: date | None = None
        self._prefix = f"{stream.pk}\t"
        self._zone = ZoneInfo(settings.TIME_ZONE)
        self.allowed = ["device", "ts", "record_id"]
        for name in (stream.value_field, stream.status_field):
            if name:
                self.allowed.append(name)

    def _keeper(self):
        """The function the parse loops call with each valid record: its canonical line
        (docs/telemetry.md) hashed into the day sums, its COPY row queued. A closure: the
        loop's hottest call reads only local names."""
        sums, lines, out, prefix, zone = self.sums, self.lines, self.out, self._prefix, self._zone
        day = None
        day_from = day_to = datetime.min.replace(tzinfo=UTC)

        def keep(device: str, ts_text: str, ts: datetime, record_id: str, value, status) -> None:
            nonlocal day, day_from, day_to
            if not day_from <= ts < day_to:  # another local day than the last record's
                day = ts.astimezone(zone).date()
                day_from, day_to = day_start(day), day_start(day + ONE_DAY)
                self.first_day = min(day, self.first_day or day)
                self.last_day = max(day, self.last_day or day)
            value_text, when = float_text(value), ts_text_of(ts_text, ts)
            line = f"{device}\t{when}\t{record_id}\t{value_text}\t{status}"
            sums.add(device, day, line_hash(line))
            if value is None or "\\" in line:
                line = (
                    f"{_copy_text(device)}\t{when}\t{_copy_text(record_id)}\t"
                    f"{NULL if value is None else value_text}\t{_copy_text(status)}"
                )
            lines.append(f"{prefix}{line}\n")
            if len(lines) >= ROWS_PER_WRITE:
                out.write("".join(lines))
                lines.clear()

        return keep

    def _unknown(self, names) -> str:
        return _("unknown field (this stream takes %(fields)s)") % {
            "fields": ", ".join(self.allowed)
        }

    def ndjson(self, reader) -> None:
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        value_field, status_field = self.stream.value_field, self.stream.status_field
        rules, errors, keep = self.rules, self.errors, self._keeper()
        term_start, term_end = rules.term_start, rules.term_end
        # Before the end of the last closed period (or the term's start) a record may be
        # refused: only there is it looked up.
        closed_until = rules.closed_ends[-1] if rules.closed_ends else term_start
        allowed = frozenset(self.allowed)
        received = 0
        number = 0
        for line in reader:
            number += 1
            try:
                obj = loads(line)
            except decode_error as exc:
                if line.strip():
                    errors.add(number, "", _("not JSON: %(error)s") % {"error": exc.msg})
                    if errors.full:
                        break
                continue
            if type(obj) is not dict:
                errors.add(number, "", _("each line must be a JSON object"))
                if errors.full:
                    break
                continue
            received += 1
            device = obj.get("device")
            record_id = obj.get("record_id")
            if record_id is None:  # absent or null
                record_id = ""
            value = obj.get(value_field) if value_field else None
            status = obj.get(status_field) if status_field else ""
            if status is None:
                status = ""
            ts_text = obj.get("ts")
            ts, problem = _ts_parse(ts_text)
            bad = False
            if problem is None and (ts < closed_until or ts >= term_end):
                problem = rules.refusal(ts)
            if problem:
                errors.add(number, "ts", problem)
                bad = True
            if (
                type(device) is not str
                or not 0 < len(device) <= DEVICE_MAX
                or not device.isprintable()
            ):
                errors.add(number, "device", _text_refusal(device, DEVICE_MAX, required=True))
                bad = True
            if type(record_id) is not str or (
                record_id and (len(record_id) > RECORD_ID_MAX or not record_id.isprintable())
            ):
                errors.add(
                    number, "record_id", _text_refusal(record_id, RECORD_ID_MAX, required=False)
                )
                bad = True
            if type(value) is int:
                value = _finite(value)
                if value is None:
                    errors.add(number, value_field, _("must be a finite number"))
                    bad = True
            elif value is not None and type(value) is not float:
                errors.add(number, value_field, _("must be a number"))
                bad = True
            if type(status) is not str or (
                status and (len(status) > STATUS_MAX or not status.isprintable())
            ):
                errors.add(number, status_field, _text_refusal(status, STATUS_MAX, required=False))
                bad = True
            if len(obj) > 2:
                unknown = [name for name in obj if name not in allowed]
                if unknown:
                    errors.add(number, unknown[0], self._unknown(unknown))
                    bad = True
            if bad:
                if errors.full:
                    break
                continue
            if errors:
                continue  # refused anyway: only look for more errors
            keep(device, ts_text, ts, record_id, value, status)
        self.out.write("".join(self.lines))
        self.received = received

    def csv(self, reader) -> None:
        text = io.TextIOWrapper(reader, encoding="utf-8-sig", newline="")
        rows = csv.reader(text, strict=True)
        errors, rules, keep = self.errors, self.rules, self._keeper()
        try:
            header = next(rows, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            errors.add(1, "", _("unreadable header: %(error)s") % {"error": exc})
            return
        if header is None:
            return
        header = [name.strip() for name in header]
        unknown = [name for name in header if name not in self.allowed]
        missing = [name for name in ("device", "ts") if name not in header]
        if unknown:
            errors.add(1, unknown[0], self._unknown(unknown))
        for name in missing:
            errors.add(1, name, _("missing column"))
        if len(set(header)) != len(header):
            errors.add(1, "", _("a column is named twice"))
        if errors:
            return
        index = {name: header.index(name) for name in header}
        i_device, i_ts = index["device"], index["ts"]
        i_record = index.get("record_id")
        i_value = index.get(self.stream.value_field) if self.stream.value_field else None
        i_status = index.get(self.stream.status_field) if self.stream.status_field else None
        width = len(header)
        received = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                errors.add(rows.line_num + 1, "", _("unreadable line: %(error)s") % {"error": exc})
                break
            number = rows.line_num
            if not row:
                continue
            received += 1
            if len(row) != width:
                errors.add(
                    number,
                    "",
                    _("%(n)d fields; the header has %(width)d") % {"n": len(row), "width": width},
                )
                if errors.full:
                    break
                continue
            bad = False
            device = row[i_device]
            if problem := _text_refusal(device, DEVICE_MAX, required=True):
                errors.add(number, "device", problem)
                bad = True
            ts, problem = _ts_parse(row[i_ts])
            if problem is None:
                problem = rules.refusal(ts)
            if problem:
                errors.add(number, "ts", problem)
                bad = True
            record_id = row[i_record] if i_record is not None else ""
            if record_id and (problem := _text_refusal(record_id, RECORD_ID_MAX, required=False)):
                errors.add(number, "record_id", problem)
                bad = True
            value = None
            if i_value is not None and row[i_value] != "":
                try:
                    value = float(row[i_value])
                except ValueError:
                    value = None
                    errors.add(number, self.stream.value_field, _("must be a number"))
                    bad = True
                else:
                    if not math.isfinite(value):
                        errors.add(number, self.stream.value_field, _("must be a finite number"))
                        bad = True
            status = row[i_status] if i_status is not None else ""
            if status and (problem := _text_refusal(status, STATUS_MAX, required=False)):
                errors.add(number, self.stream.status_field, problem)
                bad = True
            if bad:
                if errors.full:
                    break
                continue
            if errors:
                continue
            keep(device, row[i_ts], ts, record_id, value, status)
        self.out.write("".join(self.lines))
        self.received = received


def telemetry_ingest(
    *,
    stream: TelemetryStream,
    body,
    content_type: str,
    content_encoding: str = "",
    max_bytes: int | None = None,
) -> IngestResult:
    """Ingest one batch read from `body` (a file-like object: `.read(n)`) into `stream`.
    Raises BatchRefused (400), BatchTooLarge (413) or FormatUnsupported (415) with nothing
    written; returns how many records were received and how many were new. `max_bytes`:
    the size limit (default `TELEMETRY_MAX_BATCH_BYTES`)."""
    fmt = batch_format(content_type)
    encoding = content_encoding.strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise FormatUnsupported(
            _("Content-Encoding %(encoding)s is not supported (gzip is).") % {"encoding": encoding}
        )
    reader = io.BufferedReader(
        _Decoded(body, gzip=encoding == "gzip", limit=max_bytes or max_batch_bytes()),
        buffer_size=1 << 20,
    )
    with tempfile.SpooledTemporaryFile(
        max_size=SPOOL_IN_MEMORY, mode="w+", newline="", encoding="utf-8"
    ) as spool:
        parser = _Parser(stream, spool)
        getattr(parser, fmt)(reader)
        if parser.errors:
            first = parser.errors[0]
            raise BatchRefused(
                _(
                    "The batch is refused, nothing was written: line %(line)d, %(field)s: "
                    "%(message)s (%(count)d errors shown)."
                )
                % {**first, "field": first["field"] or _("line"), "count": len(parser.errors)},
                list(parser.errors),
            )
        if not parser.received:
            return IngestResult(0, 0)
        telemetry_partitions_ensure(first=parser.first_day, last=parser.last_day)
        spool.seek(0)
        with transaction.atomic(durable=True):
            # A period may have closed while the batch was read: check again, inside the write.
            if _Rules.of(stream).closed_starts != parser.rules.closed_starts:
                raise BatchRefused(_("A period closed while the batch was read: send it again."))
            if connection.vendor == "postgresql":
                sums = _write_postgresql(stream.pk, spool, parser)
            else:
                sums = _write_other(stream.pk, spool, parser)
            new = sum(records for records, _total in sums.values())
            digests_add(stream_id=stream.pk, sums=sums)
    return IngestResult(parser.received, new)


COLUMNS = "stream_id, device, ts, record_id, value, status"
RECORDS = "contracts_telemetryrecord"
STAGING = (
    'CREATE TEMPORARY TABLE telemetry_staging (stream_id bigint, device varchar(64) COLLATE "C", '
    'ts timestamptz, record_id varchar(64) COLLATE "C", value double precision, '
    "status varchar(32)) ON COMMIT DROP"
)
NEW_RECORDS = "RETURNING device, ts, record_id, value, status"
# With duplicates: the new records, once each, in key order (index pages are then touched in
# order). An anti-join and a plain insert cost half of ON CONFLICT's speculative insertion
# (measured: 1.0 s against 1.8 s for 100k new records, 0.4 s against 1.5 s for 100k
# duplicates).
INSERT_NEW = (
    f"INSERT INTO {RECORDS} ({COLUMNS}) "
    "SELECT DISTINCT ON (device, ts, record_id) %s, device, ts, record_id, value, status "
    f"FROM telemetry_staging s WHERE NOT EXISTS (SELECT 1 FROM {RECORDS} r "
    "WHERE r.stream_id = %s AND r.device = s.device AND r.ts = s.ts "
    f"AND r.record_id = s.record_id) ORDER BY device, ts, record_id {NEW_RECORDS}"
)
# When a concurrent batch committed some of the same new records in between (a unique
# violation): the same with ON CONFLICT, which waits for and skips them.
INSERT_NEW_CONCURRENTLY = (
    f"INSERT INTO {RECORDS} ({COLUMNS}) "
    "SELECT %s, device, ts, record_id, value, status FROM telemetry_staging "
    f"ORDER BY device, ts, record_id ON CONFLICT DO NOTHING {NEW_RECORDS}"
)


def _write_postgresql(stream_id: int, spool, parser: _Parser) -> DaySums:
    """Writes the batch's new records; returns their day sums. Every record new (the usual
    case): one `COPY` straight into the table, as fast as a bare COPY, and the parser's sums.
    A duplicate makes that COPY fail (a unique violation, rolled back to its savepoint):
    then through a staging table, writing only the new records, whose sums are computed
    again from what the insert returns."""
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(), connection.wrap_database_errors:
                cursor.cursor.copy_expert(
                    f"COPY {RECORDS} ({COLUMNS}) FROM STDIN", spool, size=READ_CHUNK
                )
            return parser.sums
        except IntegrityError:
            spool.seek(0)
        cursor.execute(STAGING)
        cursor.cursor.copy_expert("COPY telemetry_staging FROM STDIN", spool, size=READ_CHUNK)
        # One index probe per staged record, whatever the size of the table: never a hash or
        # merge join over the stream's stored records.
        cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
        try:
            with transaction.atomic():
                cursor.execute(INSERT_NEW, [stream_id, stream_id])
        except IntegrityError:
            cursor.execute(INSERT_NEW_CONCURRENTLY, [stream_id])
        sums = DaySums()
        while rows := cursor.fetchmany(10_000):
            for device, ts, record_id, value, status in rows:
                sums.add(device, local_day(ts), record_hash(device, ts, record_id, value, status))
        cursor.execute("RESET enable_hashjoin; RESET enable_mergejoin")
        # ON COMMIT DROP would too, but the caller's transaction may go on (tests).
        cursor.execute("DROP TABLE telemetry_staging")
        return sums


def _write_other(stream_id: int, spool, parser: _Parser) -> DaySums:
    """SQLite (the embedded demo): one INSERT OR IGNORE a record, so that the sums count
    exactly the records written."""
    table = connection.ops.quote_name(RECORDS)
    sql = f"INSERT OR IGNORE INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"
    sums = DaySums()
    with connection.cursor() as cursor:
        for line in spool:
            _stream, device, ts, record_id, value, status = (
                text.replace("\\\\", "\\") for text in line.rstrip("\n").split("\t")
            )
            when = datetime.fromisoformat(ts)
            value = None if value == NULL else float(value)
            cursor.execute(
                sql,
                [
                    stream_id,
                    device,
                    connection.ops.adapt_datetimefield_value(when),
                    record_id,
                    value,
                    status,
                ],
            )
            if cursor.rowcount == 1:
                h = record_hash(device, when, record_id, value, status)
                sums.add(device, local_day(when), h)
    return sums
