"""The migration operation that turns decimal amount columns into `MoneyField` (fen).

Django's own `AlterField` would cast 1234.56 to the integer 1235: the data must be multiplied
by 100 on the way. All columns of a table convert in one step, so a check such as
`full_amount = payable + deduction` never sees fen beside yuan.
"""

from django.db import migrations

from portfolio.money import MONEY_PLACES

SCALE = 10**MONEY_PLACES
OLD_DIGITS = 18  # every amount column was DecimalField(max_digits=18, decimal_places=2)


class AmountsToFen(migrations.operations.base.Operation):
    """`fields`: [(name, MoneyField()), …] of one model, all converted together.

    PostgreSQL: one `ALTER TABLE … ALTER COLUMN … TYPE bigint USING round(col * 100)` (no row
    triggers fire, so no audit events and no guard on approved payments is involved).
    SQLite: one `UPDATE` to whole fen (kept as integers by the column's NUMERIC affinity),
    then Django's table rebuild per column, which copies them into INTEGER columns.
    """

    reversible = True

    def __init__(self, model_name: str, fields: list):
        self.model_name = model_name
        self.fields = fields

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "fields": self.fields}
        return self.__class__.__name__, [], kwargs

    def describe(self) -> str:
        names = ", ".join(name for name, _field in self.fields)
        return f"Store {names} of {self.model_name} as whole fen"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_amounts_to_fen"

    def state_forwards(self, app_label, state):
        for name, field in self.fields:
            state.alter_field(app_label, self.model_name.lower(), name, field, True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        columns = self._columns(model, schema_editor)
        table = schema_editor.quote_name(model._meta.db_table)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} "
                + ", ".join(
                    f"ALTER COLUMN {c} TYPE bigint USING round({c} * {SCALE})::bigint"
                    for c in columns
                )
            )
            return
        schema_editor.execute(
            f"UPDATE {table} SET "
            + ", ".join(f"{c} = CAST(round({c} * {SCALE}) AS INTEGER)" for c in columns)
        )
        self._alter_one_by_one(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        columns = self._columns(model, schema_editor)
        table = schema_editor.quote_name(model._meta.db_table)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE {table} "
                + ", ".join(
                    f"ALTER COLUMN {c} TYPE numeric({OLD_DIGITS}, {MONEY_PLACES}) "
                    f"USING ({c}::numeric / {SCALE})"
                    for c in columns
                )
            )
            return
        self._alter_one_by_one(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(
            f"UPDATE {table} SET " + ", ".join(f"{c} = {c} / {SCALE}.0" for c in columns)
        )

    def _columns(self, model, schema_editor) -> list[str]:
        return [
            schema_editor.quote_name(model._meta.get_field(name).column)
            for name, _field in self.fields
        ]

    def _alter_one_by_one(self, app_label, schema_editor, from_state, to_state):
        """Django's SQLite table rebuild, one column at a time, each from the state in which
        the columns before it are already converted."""
        state = from_state.clone()
        for name, _field in self.fields:
            old_model = state.apps.get_model(app_label, self.model_name)
            state.alter_field(
                app_label,
                self.model_name.lower(),
                name,
                to_state.models[app_label, self.model_name.lower()].fields[name].clone(),
                True,
            )
            new_model = state.apps.get_model(app_label, self.model_name)
            schema_editor.alter_field(
                old_model, old_model._meta.get_field(name), new_model._meta.get_field(name)
            )


class CreateModelPartitionedByRange(migrations.CreateModel):
    """`CreateModel`, but on PostgreSQL the table is declaratively partitioned by RANGE of
    `partition_field` and gets a DEFAULT partition (`<table>_default`) for rows no partition
    covers yet; the partitions themselves are created later, ahead of time
    (`contracts.telemetry.partitions`). The primary key and every unique constraint must
    include the partition column. `collations` ({field: collation}) apply on PostgreSQL only
    (SQLite has no "C"; its BINARY default is byte order already). Other databases: a plain
    table."""

    def __init__(self, name, fields, *, partition_field: str, collations=None, **kwargs):
        self.partition_field = partition_field
        self.collations = collations or {}
        super().__init__(name, fields, **kwargs)

    def deconstruct(self):
        _name, args, kwargs = super().deconstruct()
        kwargs["partition_field"] = self.partition_field
        if self.collations:
            kwargs["collations"] = self.collations
        return self.__class__.__name__, args, kwargs

    def describe(self) -> str:
        return f"{super().describe()} (partitioned by range of {self.partition_field})"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        # What BaseDatabaseSchemaEditor.create_model does, with the partitioning clause (on
        # this migration's own rendering of the model, so the collations stay here).
        for name, collation in self.collations.items():
            model._meta.get_field(name).db_collation = collation
        sql, params = schema_editor.table_sql(model)
        column = schema_editor.quote_name(model._meta.get_field(self.partition_field).column)
        schema_editor.execute(f"{sql} PARTITION BY RANGE ({column})", params or None)
        schema_editor.deferred_sql.extend(schema_editor._model_indexes_sql(model))
        table = model._meta.db_table
        schema_editor.execute(
            f"CREATE TABLE {schema_editor.quote_name(table + '_default')} "
            f"PARTITION OF {schema_editor.quote_name(table)} DEFAULT"
        )
