"""On PostgreSQL the database itself keeps the two promises the app makes:

* the consent ledger is append-only — the only UPDATE allowed is the one-way
  de-identification of SMS proof at erasure (evidence emptied, the decision untouched);
* a published notice never changes.

DELETE stays possible: erasure and the cookie retention purge remove rows."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION consent_event_guard() RETURNS trigger AS $$
BEGIN
    IF OLD.deidentified_at IS NULL AND NEW.deidentified_at IS NOT NULL
       AND NEW.purpose_id = OLD.purpose_id AND NEW.action = OLD.action
       AND NEW.occurred_at = OLD.occurred_at AND NEW.recorded_at = OLD.recorded_at
       AND NEW.method = OLD.method AND NEW.sender = OLD.sender
       AND NEW.notice_id IS NOT DISTINCT FROM OLD.notice_id
       AND NEW.contact_id IS NOT DISTINCT FROM OLD.contact_id
       AND NEW.visitor_id IS NOT DISTINCT FROM OLD.visitor_id
       AND NEW.customer_id IS NOT DISTINCT FROM OLD.customer_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_consentevent is append-only: UPDATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consent_consentevent_append_only
    BEFORE UPDATE ON consent_consentevent
    FOR EACH ROW EXECUTE FUNCTION consent_event_guard();

CREATE OR REPLACE FUNCTION consent_notice_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.published_at IS NOT NULL AND (
        NEW.text IS DISTINCT FROM OLD.text OR NEW.text_sha256 IS DISTINCT FROM OLD.text_sha256
        OR NEW.version <> OLD.version OR NEW.purpose_id <> OLD.purpose_id
        OR NEW.kind <> OLD.kind OR NEW.language <> OLD.language
        OR NEW.published_at IS DISTINCT FROM OLD.published_at) THEN
        RAISE EXCEPTION 'a published notice never changes: create a new version'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consent_notice_published_frozen
    BEFORE UPDATE ON consent_notice
    FOR EACH ROW EXECUTE FUNCTION consent_notice_frozen();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS consent_consentevent_append_only ON consent_consentevent;
DROP FUNCTION IF EXISTS consent_event_guard();
DROP TRIGGER IF EXISTS consent_notice_published_frozen ON consent_notice;
DROP FUNCTION IF EXISTS consent_notice_frozen();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_seed_purposes_and_notices")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
