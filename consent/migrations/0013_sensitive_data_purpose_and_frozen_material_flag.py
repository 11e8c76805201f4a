"""Seed the ``sensitive_data_use`` purpose, and freeze a published notice's
``is_material_change`` flag on PostgreSQL.

``sensitive_data_use``: using a person's sensitive data (health, precise location,
religion, sexual life, biometrics, a child's data…) beyond what the service needs. Most
US state laws ask opt-in consent for it (e.g. Va. Code §59.1-578(A)(5), C.R.S.
§6-1-1308(7), Conn. Gen. Stat. §42-520(a)(4)); California lets the person limit it
(Civ. Code §1798.121); GDPR Art. 9 asks explicit consent. So it is consent-based: without
a grant the check answers no (``no_consent``), and a withdrawal or limit request
answers ``withdrawn``.

The notice guard of migration 0005 is rewritten with one more frozen column: whether a
published version is a material change decides who is asked to confirm again, so it
never changes after publication."""

import hashlib

from django.db import migrations
from django.utils import timezone

from privacy.roles import AUDITOR, PRIVACY_OFFICER, SUPPORT_AGENT, grant_role_permissions

TEXT = (
    "I agree that you use my sensitive personal information (such as health data, precise "
    "location, or data about my beliefs) for the purposes described in the privacy "
    "policy, beyond what is needed to provide the service. I can withdraw this consent, "
    "or ask you to limit the use of this information, at any time."
)


def seed(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    Notice = apps.get_model("consent", "Notice")
    purpose, _ = Purpose.objects.get_or_create(
        code="sensitive_data_use",
        defaults={
            "name": "Use of sensitive personal information",
            "channel": "data",
            "legal_basis": "consent",
            "is_marketing": False,
            "requires_double_opt_in": False,
            "description": "Opt-in where the law asks it (most US state laws, GDPR Art. 9); "
            "California's 'limit the use of my sensitive personal information' withdraws it.",
        },
    )
    Notice.objects.get_or_create(
        purpose=purpose,
        version=1,
        defaults={
            "kind": "form_checkbox",
            "text": TEXT,
            "text_sha256": hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
            "published_at": timezone.now(),
        },
    )


NOTICE_GUARD = """
CREATE OR REPLACE FUNCTION consent_notice_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        IF date_trunc('milliseconds', NEW.published_at) = date_trunc('milliseconds', OLD.published_at) THEN
            NEW.published_at := OLD.published_at;
        END IF;
        IF date_trunc('milliseconds', NEW.created_at) = date_trunc('milliseconds', OLD.created_at) THEN
            NEW.created_at := OLD.created_at;
        END IF;
    END IF;
    IF NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;  -- nothing changes
    END IF;
    IF OLD.published_at IS NOT NULL AND (
        NEW.text IS DISTINCT FROM OLD.text OR NEW.text_sha256 IS DISTINCT FROM OLD.text_sha256
        OR NEW.version <> OLD.version OR NEW.purpose_id <> OLD.purpose_id
        OR NEW.kind <> OLD.kind OR NEW.language <> OLD.language
        OR NEW.is_material_change <> OLD.is_material_change
        OR NEW.published_at IS DISTINCT FROM OLD.published_at) THEN
        RAISE EXCEPTION 'a published notice never changes: create a new version'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# Migration 0005's function, as it was.
NOTICE_GUARD_BEFORE = NOTICE_GUARD.replace(
    "        OR NEW.is_material_change <> OLD.is_material_change\n", ""
)


def roles(apps, schema_editor):
    # Support agents take revocations by phone and e-mail and read the texts: they decide
    # the doubtful ones too. Officers get everything, auditors see everything.
    grant_role_permissions(
        apps,
        "consent",
        {
            PRIVACY_OFFICER: ["*"],
            SUPPORT_AGENT: [
                "view_revocationreview",
                "resolve_revocationreview",
                "view_smsprogramme",
                "view_noticechangenotification",
            ],
            AUDITOR: ["view_*"],
        },
    )


def guard_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOTICE_GUARD, params=None)


def guard_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOTICE_GUARD_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0012_revocation_minors_objection_material_notices")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(roles, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(guard_forward, guard_backward, elidable=False),
    ]
