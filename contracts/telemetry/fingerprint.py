"""The record set's fingerprint (docs/telemetry.md, Fingerprint) and the partial sums that make
it cheap to compute.

The fingerprint of a set of records is a function of their count and of the sum of their
hashes mod 2^256, and a sum can be taken in parts. So the one service that writes records
(`contracts.telemetry.ingest`) adds, in the same transaction, each new record's hash to a
`TelemetryDigest` row of its device and local day; a period's fingerprint then adds at most
devices × days rows instead of hashing every record of the period again (17 million records:
181 s of SHA-256 in SQL, docs/benchmarks.md). Records are never updated or deleted, so the
sums stay exact.
"""

import hashlib
from datetime import date

from django.db import connection

from contracts.telemetry.export import canonical_line

FINGERPRINT_PREFIX = "ppp-telemetry-fp/1"
MODULUS = 2**256
# pg_advisory_xact_lock(class, stream id): one writer of a stream's sums at a time.
LOCK_CLASS = 17017


def fingerprint_of(count: int, total: int) -> str:
    text = f"{FINGERPRINT_PREFIX} {count} {total % MODULUS:064x}"
    return hashlib.sha256(text.encode()).hexdigest()


def line_hash(line: str) -> int:
    """SHA-256 of a canonical line (without its LF) as an unsigned 256-bit integer."""
    return int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")


def record_hash(device: str, ts, record_id: str, value, status: str) -> int:
    return line_hash(canonical_line(device, ts, record_id, value, status))


class DaySums(dict):
    """{(device, local day): [records, Σ hashes]} of a set of records."""

    def add(self, device: str, day: date, h: int) -> None:
        sums = self.get((device, day))
        if sums is None:
            self[(device, day)] = [1, h]
        else:
            sums[0] += 1
            sums[1] += h


def digests_add(*, stream_id: int, sums: DaySums) -> None:
    """Add `sums` (new records of the stream, about to be committed with them) to the
    stream's stored sums. Inside the records' transaction."""
    from contracts.telemetry.models import TelemetryDigest

    if not sums:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, stream_id])
    days = [day for _device, day in sums]
    stored = {
        (device, day): (pk, records, hash_sum)
        for pk, device, day, records, hash_sum in TelemetryDigest.objects.filter(
            stream_id=stream_id, day__gte=min(days), day__lte=max(days)
        ).values_list("pk", "device", "day", "records", "hash_sum")
    }
    replaced, rows = [], []
    for (device, day), (records, total) in sorted(sums.items()):
        if (device, day) in stored:
            pk, before, hash_sum = stored[(device, day)]
            replaced.append(pk)
            records, total = records + before, total + int(hash_sum, 16)
        rows.append(
            TelemetryDigest(
                stream_id=stream_id,
                device=device,
                day=day,
                records=records,
                hash_sum=f"{total % MODULUS:064x}",
            )
        )
    # Replaced rather than updated: two plain statements (an UPDATE of many rows with
    # different values is a CASE per row in the ORM, 1 s for 2,000 devices).
    TelemetryDigest.objects.filter(pk__in=replaced).delete()
    TelemetryDigest.objects.bulk_create(rows, batch_size=2000)


def digest_total(*, stream_id: int, first_day: date, last_day: date) -> tuple[int, int]:
    """(records, Σ hashes mod 2^256) of the stream's records on the local days
    `first_day`…`last_day`: a period's record set."""
    from contracts.telemetry.models import TelemetryDigest

    count = total = 0
    rows = TelemetryDigest.objects.filter(
        stream_id=stream_id, day__gte=first_day, day__lte=last_day
    ).values_list("records", "hash_sum")
    for records, hash_sum in rows.iterator(chunk_size=5000):
        count += records
        total += int(hash_sum, 16)
    return count, total % MODULUS
