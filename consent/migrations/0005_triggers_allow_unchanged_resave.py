"""Let the two PostgreSQL guards of migration 0003 pass an UPDATE that changes nothing.

Django re-saves rows it has just read back from a JSON dump: a ``TransactionTestCase``
with ``serialized_rollback=True`` (pytest-django's ``serialized_rollback``) restores the
database that way, and so does ``loaddata`` of a ``dumpdata``. Each row becomes an
``UPDATE`` of every column with the values it already holds, which the guards refused
for published notices (and would refuse for any ledger row).

JSON dumps keep timestamps to the millisecond only, so the re-saved ``published_at`` of
a notice differs from the stored one in its microseconds. A timestamp equal to the
millisecond is the same instant for every purpose here: the guard keeps the stored value
(the row stays exactly as it was) and then lets an unchanged row through. Every other
change is refused exactly as before: a published notice's words, hash, version,
purpose, kind, language or publication time; any ledger column outside the one-way
de-identification."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION consent_event_guard() RETURNS trigger AS $$
BEGIN
    -- A re-save from a JSON dump carries timestamps to the millisecond: same instant,
    -- keep the stored value.
    IF date_trunc('milliseconds', NEW.occurred_at) = date_trunc('milliseconds', OLD.occurred_at) THEN
        NEW.occurred_at := OLD.occurred_at;
    END IF;
    IF date_trunc('milliseconds', NEW.recorded_at) = date_trunc('milliseconds', OLD.recorded_at) THEN
        NEW.recorded_at := OLD.recorded_at;
    END IF;
    IF date_trunc('milliseconds', NEW.deidentified_at) = date_trunc('milliseconds', OLD.deidentified_at) THEN
        NEW.deidentified_at := OLD.deidentified_at;
    END IF;
    IF NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;  -- nothing changes
    END IF;
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

CREATE OR REPLACE FUNCTION consent_notice_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        -- A re-save from a JSON dump carries timestamps to the millisecond: same
        -- instant, keep the stored value.
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
        OR NEW.published_at IS DISTINCT FROM OLD.published_at) THEN
        RAISE EXCEPTION 'a published notice never changes: create a new version'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# The functions exactly as migration 0003 created them (the triggers stay in place).
BACKWARD = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_staff_roles")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
