"""The permission to send a contact their preference-centre link, given to the privacy
officers and the support agents (who take "how do I change what you send me?" calls)."""

from django.db import migrations

from privacy.roles import PRIVACY_OFFICER, SUPPORT_AGENT, grant_role_permissions


def forward(apps, schema_editor):
    grant_role_permissions(
        apps,
        "consent",
        {PRIVACY_OFFICER: ["send_preference_link"], SUPPORT_AGENT: ["send_preference_link"]},
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0006_consentevent_reference_index")]
    operations = [
        migrations.AlterModelOptions(
            name="contactconsent",
            options={
                "permissions": [
                    ("withdraw_consent", "Can withdraw a contact's consent (complaint)"),
                    ("send_preference_link", "Can send a contact their preference-centre link"),
                ],
                "verbose_name": "contact's consent history",
                "verbose_name_plural": "contacts' consent history",
            },
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
