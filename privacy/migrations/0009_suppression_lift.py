"""A suppression is lifted only by the person's own act from the identifier (issue 8,
item 2): when and by which consent ledger event. Lifted rows stay as the record, so the
unique constraints cover live rows only (a later erasure adds a new row). Two nullable
columns (no table rewrite) and constraints swapped in one transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0008_staff_preference_and_audit_actor_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="suppression",
            name="suppression_unique_customer",
        ),
        migrations.RemoveConstraint(
            model_name="suppression",
            name="suppression_unique_global",
        ),
        migrations.AddField(
            model_name="suppression",
            name="lifted_at",
            field=models.DateTimeField(
                blank=True, help_text="When the person's own act lifted it", null=True
            ),
        ),
        migrations.AddField(
            model_name="suppression",
            name="lifted_by_event_id",
            field=models.BigIntegerField(
                blank=True,
                help_text="The consent ledger event (ConsentEvent id) recording the person's act",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.UniqueConstraint(
                condition=models.Q(("customer__isnull", False), ("lifted_at__isnull", True)),
                fields=("identifier_hmac", "channel", "customer"),
                name="suppression_unique_customer",
            ),
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.UniqueConstraint(
                condition=models.Q(("customer__isnull", True), ("lifted_at__isnull", True)),
                fields=("identifier_hmac", "channel"),
                name="suppression_unique_global",
            ),
        ),
        migrations.AddConstraint(
            model_name="suppression",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lifted_at__isnull", True),
                    ("lifted_by_event_id__isnull", False),
                    _connector="OR",
                ),
                name="suppression_lift_has_evidence",
                violation_error_message="A lifted suppression names the ledger event.",
            ),
        ),
    ]
