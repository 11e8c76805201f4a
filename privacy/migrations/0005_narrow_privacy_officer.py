"""Take from the Privacy officer what only services may do: writing the audit trail,
suppression list and erasure certificates, and deleting contacts or interactions
outside the erasure engine (see ``privacy.roles.NEVER_GRANTED``)."""

from django.db import migrations

from privacy.roles import PRIVACY_ROLE_PERMISSIONS, grant_role_permissions


def forward(apps, schema_editor):
    grant_role_permissions(apps, "privacy", PRIVACY_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_staff_roles")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
