"""The consent ledger refuses TRUNCATE on PostgreSQL (rows leave it only by DELETE, which
erasure and the retention purge use, each audited): `manage.py flush` or a stray
TRUNCATE must not wipe the proof of consent (privacy/migration_ops.py)."""

from django.db import migrations

from privacy.migration_ops import allow_truncate, refuse_truncate


def forward(apps, schema_editor):
    refuse_truncate(schema_editor, "consent_consentevent")


def backward(apps, schema_editor):
    allow_truncate(schema_editor, "consent_consentevent")


class Migration(migrations.Migration):
    dependencies = [("consent", "0008_drop_redundant_indexes")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
