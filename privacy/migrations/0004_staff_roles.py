"""Create the staff roles (Privacy officer, Support agent, Auditor) with the privacy
app's permissions from ``privacy.roles``."""

from django.db import migrations

from privacy.roles import PRIVACY_ROLE_PERMISSIONS, grant_role_permissions


def forward(apps, schema_editor):
    grant_role_permissions(apps, "privacy", PRIVACY_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0003_seed_record_of_processing_and_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
