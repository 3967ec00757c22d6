"""An independent plain-Python reading of docs/telemetry.md, for the tests to compare with.

Written from the specification, not from contracts/telemetry/metrics.py: local dates with
zoneinfo, slots by integer microseconds, rounding with Decimal's ROUND_HALF_UP in a wide
context, the fingerprint as the auditor's snippet in the docs."""

import hashlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def window(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=SHANGHAI)
    after = last_day + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=SHANGHAI)
    return start.astimezone(UTC), end.astimezone(UTC)


def in_window(records, start, end):
    """Records are (device, ts, record_id, value, status); the key makes them unique."""
    unique = {}
    for r in records:
        unique.setdefault((r[0], r[1], r[2]), r)
    return [r for r in unique.values() if start <= r[1] < end]


def _round(number: Decimal, places: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int, places: int) -> Decimal:
    with localcontext(Context(prec=60)):
        return _round(Decimal(100 * part) / Decimal(whole), places)


def _devices(records):
    by_device = defaultdict(list)
    for r in records:
        by_device[r[0]].append(r)
    return by_device


def _expected(rows, interval: int) -> int:
    days = {r[1].astimezone(SHANGHAI).date() for r in rows}
    return ((max(days) - min(days)).days + 1) * 86400 // interval


def availability(records, start, end, interval, places=2):
    covered = expected = 0
    for rows in _devices(in_window(records, start, end)).values():
        step = interval * 1_000_000
        slots = {((r[1] - start) // timedelta(microseconds=1)) // step for r in rows}
        covered += len(slots)
        expected += _expected(rows, interval)
    return (_percent(covered, expected, places) if expected else None), expected


def completeness(records, start, end, interval, places=2):
    received = expected = 0
    for rows in _devices(in_window(records, start, end)).values():
        e = _expected(rows, interval)
        received += min(len(rows), e)
        expected += e
    return (_percent(received, expected, places) if expected else None), expected


def ratio(records, start, end, matches, places=2):
    rows = in_window(records, start, end)
    hits = sum(1 for r in rows if matches(r))
    return (_percent(hits, len(rows), places) if rows else None), len(rows)


def percentile(records, start, end, p: float, places=2):
    values = sorted(r[3] for r in in_window(records, start, end) if r[3] is not None)
    if not values:
        return None, 0
    position = p / 100 * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1) if position > low else low
    exact = values[low] + (position - low) * (values[high] - values[low])
    return _round(Decimal(repr(exact)), places), len(values)


def mean(records, start, end, places=2):
    values = [r[3] for r in in_window(records, start, end) if r[3] is not None]
    if not values:
        return None, 0
    with localcontext(Context(prec=80)):
        total = sum(Decimal(f"{v:.15g}") for v in values)
        return _round(total / len(values), places), len(values)


def _value_text(value: float | None) -> str:
    """A double as PostgreSQL prints it, for the values these tests generate (magnitudes
    from 1e-4 to 1e15: Python's repr without a trailing ".0")."""
    if value is None:
        return ""
    assert value == 0 or 1e-4 <= abs(value) < 1e15, value
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def fingerprint_of_lines(lines) -> str:
    """The auditor's recomputation from the raw export's canonical lines (docs/telemetry.md)."""
    total = count = 0
    for line in lines:
        total += int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")
        count += 1
    return hashlib.sha256(f"ppp-telemetry-fp/1 {count} {total % 2**256:064x}".encode()).hexdigest()


def fingerprint(records, start, end) -> str:
    lines = [
        "\t".join(
            [
                device,
                ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                record_id,
                _value_text(value),
                status,
            ]
        )
        for device, ts, record_id, value, status in in_window(records, start, end)
    ]
    return fingerprint_of_lines(lines)


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), SHANGHAI).astimezone(UTC)
