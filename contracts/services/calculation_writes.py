"""Writing many payment calculations at once: the one upsert every way of computing uses.

On PostgreSQL the rows go through `COPY` into a temporary table and one
`INSERT … SELECT … ON CONFLICT (period_id) DO UPDATE`: the same statement shape as
`bulk_create(update_conflicts=True)`, so the same row triggers fire (the audit events of
pghistory: an insert event for a new calculation, an update event for a replaced one; the
guard on final payments), without Django building a statement of thousands of parameters.
Elsewhere (SQLite) `bulk_create` does it.
"""

import csv
import io
import json
from datetime import date, datetime

from django.db import connection

from contracts.models import PaymentCalculation

NULL = r"\N"  # COPY's NULL marker; no value written here is this text


def calculations_upsert(calculations: list[PaymentCalculation], update_fields: list[str]) -> None:
    """Insert the calculations, or replace the named fields of a period's existing one; sets
    each object's pk. Call inside a transaction."""
    if not calculations:
        return
    if connection.vendor != "postgresql":
        PaymentCalculation.objects.bulk_create(
            calculations,
            update_conflicts=True,
            unique_fields=["period"],
            update_fields=update_fields,
        )
        return
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
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM calculation_rows "
            f"ON CONFLICT (period_id) DO UPDATE SET {updates} RETURNING period_id, id"
        )
        ids = dict(cursor.fetchall())
        cursor.execute("DROP TABLE calculation_rows")
    for calculation in calculations:
        calculation.pk = ids[calculation.period_id]


def _csv_rows(calculations: list[PaymentCalculation], fields: list) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for calculation in calculations:
        # Each value as the field prepares it for the database (amounts as whole fen).
        writer.writerow([_text(f.get_prep_value(getattr(calculation, f.attname))) for f in fields])
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
