"""Staff roles' permissions on privacy requests (privacy.roles.grant_role_permissions)
and the editable notice templates, seeded from requests_app.notices."""

from django.db import migrations

from privacy.roles import AUDITOR, PRIVACY_OFFICER, SUPPORT_AGENT, grant_role_permissions

REQUESTS_ROLE_PERMISSIONS = {
    PRIVACY_OFFICER: ["*"],
    # Support agents see the queue and take requests by phone; they change nothing.
    SUPPORT_AGENT: ["view_*", "add_privacyrequest"],
    AUDITOR: ["view_*"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, "requests_app", REQUESTS_ROLE_PERMISSIONS)
    from requests_app.notices import DEFAULT_NOTICES

    NoticeTemplate = apps.get_model("requests_app", "NoticeTemplate")
    for code, notice in DEFAULT_NOTICES.items():
        NoticeTemplate.objects.get_or_create(
            code=code,
            defaults={
                "description": notice["description"][:200],
                "subject": notice["subject"],
                "body": notice["body"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_initial"),
        ("privacy", "0004_staff_roles"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
