"""The ledger records a suppression lifted by the person's own START / YES (issue 8,
item 2). Choices only: no SQL runs."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0009_consentevent_no_truncate"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consentevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("grant", "Grant"),
                    ("withdraw", "Withdraw"),
                    ("lift", "Suppression lifted"),
                ],
                max_length=10,
            ),
        ),
    ]
