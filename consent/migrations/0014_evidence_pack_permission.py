"""The permission to view and download a consent evidence pack (every ledger event of
a number or address, with the notices shown, the texts received, suppression and quiet
hours), given to the privacy officers and the auditors."""

from django.db import migrations

from privacy.roles import AUDITOR, PRIVACY_OFFICER, grant_role_permissions


def forward(apps, schema_editor):
    grant_role_permissions(
        apps,
        "consent",
        {PRIVACY_OFFICER: ["view_evidence_pack"], AUDITOR: ["view_evidence_pack"]},
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0013_sensitive_data_purpose_and_frozen_material_flag")]
    operations = [
        migrations.AlterModelOptions(
            name="contactconsent",
            options={
                "permissions": [
                    ("withdraw_consent", "Can withdraw a contact's consent (complaint)"),
                    ("send_preference_link", "Can send a contact their preference-centre link"),
                    ("view_evidence_pack", "Can view and download consent evidence packs"),
                ],
                "verbose_name": "contact's consent history",
                "verbose_name_plural": "contacts' consent history",
            },
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
