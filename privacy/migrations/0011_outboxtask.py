"""The transactional outbox of queued Celery work (issue 8, item 5)."""

import django.utils.timezone
from django.db import migrations, models

from privacy.roles import AUDITOR, PRIVACY_OFFICER, grant_role_permissions


def grant(apps, schema_editor):
    # Officers and auditors may view the outbox; only services write it (NEVER_GRANTED).
    # Only this model's permission: re-running the whole table here would also hand out
    # the permissions of models added since (e.g. a staff member's own preferences).
    grant_role_permissions(
        apps, "privacy", {PRIVACY_OFFICER: ["view_outboxtask"], AUDITOR: ["view_outboxtask"]}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0010_minors_disclosures_transfers"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task", models.CharField(help_text="Registered Celery task name", max_length=200)),
                (
                    "args",
                    models.JSONField(
                        blank=True, default=list, help_text="Positional arguments: ids only"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "attempts",
                    models.PositiveIntegerField(default=0, help_text="Failed publish attempts"),
                ),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                (
                    "last_error",
                    models.CharField(
                        blank=True,
                        help_text="Type of the last publish error (never its text)",
                        max_length=100,
                    ),
                ),
            ],
            options={
                "verbose_name": "outbox task",
                "ordering": ["id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("sent_at__isnull", True)),
                        fields=["created_at"],
                        name="outbox_unsent",
                    ),
                    models.Index(
                        condition=models.Q(("sent_at__isnull", False)),
                        fields=["sent_at"],
                        name="outbox_sent",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
