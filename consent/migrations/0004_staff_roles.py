"""Give the staff roles their permissions on the consent app's models."""

from django.db import migrations

from privacy.roles import AUDITOR, PRIVACY_OFFICER, SUPPORT_AGENT, grant_role_permissions

CONSENT_ROLE_PERMISSIONS = {
    PRIVACY_OFFICER: ["*"],
    # Support handles STOPs received by phone or e-mail and complaints: they see the
    # consent data and can opt a number out or withdraw a contact's consent.
    SUPPORT_AGENT: [
        "view_purpose",
        "view_notice",
        "view_sendernumber",
        "view_consentevent",
        "view_consentstate",
        "view_smssubscription",
        "view_inboundmessage",
        "view_contactconsent",
        "opt_out_smssubscription",
        "withdraw_consent",
    ],
    AUDITOR: ["view_*"],
}


def forward(apps, schema_editor):
    grant_role_permissions(apps, "consent", CONSENT_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_append_only_ledger_and_frozen_notices"),
        ("privacy", "0004_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
