"""Erasure finds inbound texts that matched no contact by the erased person's numbers
(issue 8, item 4): a partial index on ``from_number`` of the unmatched texts only.

Built CONCURRENTLY on PostgreSQL (the webhook writes to this table on every text; a
plain CREATE INDEX would hold its STOPs for the whole build), hence not atomic; a plain
CREATE INDEX elsewhere."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, ``AddIndex`` on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("consent", "0010_consentevent_lift_action"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="inboundmessage",
            index=models.Index(
                condition=models.Q(("contact__isnull", True), ("from_number__isnull", False)),
                fields=["from_number"],
                name="inbound_unmatched_from",
            ),
        ),
    ]
