"""Writing many payment calculations at once: the one upsert every way of computing uses.

On PostgreSQL the rows go through `COPY` into a temporary table and one
`INSERT … SELECT … ON CONFLICT (period_id) DO UPDATE`: the same statement shape as
`bulk_create(update_conflicts=True)`, so the same row triggers fire (the audit events of
pghistory: an insert event for a new calculation, an update event for a replaced one; the
guard on final payments), without Django building a statement of thousands of parameters.
Elsewhere (SQLite) `bulk_create` does it.

A stored row is replaced only in the states the caller names (the workflow's recomputable
states): `DO UPDATE … WHERE state IN (…)` on PostgreSQL, a filter before `bulk_create`
elsewhere (SQLite serialises writers: no other transaction writes between the two). Rows
refused are returned, not written; the caller reports them.
"""

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection

from contracts.models import PaymentCalculation

NULL = r"\N"  # COPY's NULL marker; no value written here is this text


def calculations_upsert(
    calculations: list[PaymentCalculation], update_fields: list[str], *, replaceable: Iterable[str]
) -> list[PaymentCalculation]:
    """Insert the calculations, or replace the named fields of a period's existing one if
    its state is `replaceable`; sets each written object's pk and returns those refused.
    Call inside a transaction."""
    if not calculations:
        return []
    replaceable = sorted(replaceable)
    if connection.vendor != "postgresql":
        kept = set(
            PaymentCalculation.objects.filter(period_id__in=[c.period_id for c in calculations])
            .exclude(state__in=replaceable)
            .values_list("period_id", flat=True)
        )
        PaymentCalculation.objects.bulk_create(
            [c for c in calculations if c.period_id not in kept],
            update_conflicts=True,
            unique_fields=["period"],
            update_fields=update_fields,
        )
        return [c for c in calculations if c.period_id in kept]
    meta = PaymentCalculation._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}"
        for name in (connection.ops.quote_name(meta.get_field(f).column) for f in update_fields)
    )
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        # Column types from the real table; dropped with the transaction.
        cursor.execute(
            f"CREATE TEMPORARY TABLE calculation_rows ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.copy_expert(
            f"COPY calculation_rows ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
            _csv_rows(calculations, fields),
        )
        state = f"{table}.{connection.ops.quote_name(meta.get_field('state').column)}"
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM calculation_rows "
            f"ON CONFLICT (period_id) DO UPDATE SET {updates} WHERE {state} = ANY(%s) "
            f"RETURNING period_id, id",
            [replaceable],
        )
        ids = dict(cursor.fetchall())
        cursor.execute("DROP TABLE calculation_rows")
    for calculation in calculations:
        calculation.pk = ids.get(calculation.period_id)
    return [c for c in calculations if c.pk is None]


def _csv_rows(calculations: list[PaymentCalculation], fields: list) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for calculation in calculations:
        writer.writerow([_text(getattr(calculation, f.attname)) for f in fields])
    buffer.seek(0)
    return buffer


def _text(value: object) -> object:
    if value is None:
        return NULL
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
