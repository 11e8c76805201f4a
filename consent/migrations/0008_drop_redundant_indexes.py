"""Drop four single-column foreign-key indexes that a composite index already leads
with, and message_sid's unused LIKE index; message_sid stays unique under the
constraint name ``inbound_message_sid_unique``.

These tables take every STOP and every consent check, so the migration must not lock
them: Django's own operations for these changes would drop and re-add each foreign key
(validating every row of a ledger of millions) and rebuild the unique index, all in one
transaction. Instead the model state changes alone, and the database only drops
indexes with ``DROP INDEX CONCURRENTLY`` (outside a transaction: ``atomic = False``)
and renames the existing unique constraint, a catalogue change
(privacy/migration_ops.py)."""

import django.db.models.deletion
from django.db import migrations, models

from privacy.migration_ops import (
    create_single_column_indexes,
    drop_single_column_indexes,
    single_column_indexes,
)

FK_INDEXES = [
    ("consent_consentevent", "contact_id"),
    ("consent_consentevent", "purpose_id"),
    ("consent_consentstate", "contact_id"),
    ("consent_inboundmessage", "contact_id"),
]
INBOUND = "consent_inboundmessage"
UNIQUE_NAME = "inbound_message_sid_unique"


def forwards(apps, schema_editor):
    drop_single_column_indexes(schema_editor, FK_INDEXES)
    # The LIKE (varchar_pattern_ops) index unique=True added on PostgreSQL.
    drop_single_column_indexes(schema_editor, [(INBOUND, "message_sid")])
    quote = schema_editor.quote_name
    existing = single_column_indexes(schema_editor, INBOUND, "message_sid", unique=True)
    if UNIQUE_NAME in existing:
        return
    if schema_editor.connection.vendor == "postgresql" and existing:
        schema_editor.execute(
            f"ALTER TABLE {quote(INBOUND)} "
            f"RENAME CONSTRAINT {quote(existing[0])} TO {quote(UNIQUE_NAME)}"
        )
    else:
        # SQLite keeps the table's own unique index (it cannot be dropped without a
        # rebuild); the named one makes the state and the database agree.
        schema_editor.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(UNIQUE_NAME)} "
            f"ON {quote(INBOUND)} ({quote('message_sid')})"
        )


def backwards(apps, schema_editor):
    create_single_column_indexes(schema_editor, FK_INDEXES)
    if schema_editor.connection.vendor == "postgresql":
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(INBOUND + '_message_sid_like')} "
            f"ON {quote(INBOUND)} ({quote('message_sid')} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("consent", "0007_preference_link_permission"),
        ("privacy", "0006_drop_redundant_foreign_key_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consentevent",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consent_events",
                        to="privacy.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="consentevent",
                    name="purpose",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="consent.purpose",
                    ),
                ),
                migrations.AlterField(
                    model_name="consentstate",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="consent_states",
                        to="privacy.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="inboundmessage",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="privacy.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="inboundmessage",
                    name="message_sid",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddConstraint(
                    model_name="inboundmessage",
                    constraint=models.UniqueConstraint(
                        fields=("message_sid",), name="inbound_message_sid_unique"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
