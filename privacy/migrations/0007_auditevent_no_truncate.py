"""The audit trail refuses TRUNCATE on PostgreSQL, as it refuses UPDATE and DELETE
(migration 0002): `manage.py flush` or a stray TRUNCATE must not empty it
(privacy/migration_ops.py)."""

from django.db import migrations

from privacy.migration_ops import allow_truncate, refuse_truncate


def forward(apps, schema_editor):
    refuse_truncate(schema_editor, "privacy_auditevent")


def backward(apps, schema_editor):
    allow_truncate(schema_editor, "privacy_auditevent")


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_drop_redundant_foreign_key_indexes")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
