"""Indexes the consent evidence pack reads by: the keyed hash of a number on the SMS
proof kept after an erasure (ledger, subscriptions, inbound texts); texts linked to no
contact are found by inbound_unmatched_from (0011). Each is partial: rows a STOP or a consent check
writes or reads are not in them. Built concurrently on PostgreSQL (no lock on the
ledger), hence not atomic."""

from django.db import migrations, models

from privacy.migration_ops import AddIndexQuietly


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("consent", "0014_evidence_pack_permission")]
    operations = [
        AddIndexQuietly(
            model_name="consentevent",
            index=models.Index(
                condition=models.Q(("identifier_hmac", ""), _negated=True),
                fields=["identifier_hmac"],
                name="consentevent_identifier_hmac",
            ),
        ),
        AddIndexQuietly(
            model_name="inboundmessage",
            index=models.Index(
                condition=models.Q(("from_hmac", ""), _negated=True),
                fields=["from_hmac"],
                name="inbound_from_hmac",
            ),
        ),
        AddIndexQuietly(
            model_name="smssubscription",
            index=models.Index(
                condition=models.Q(("phone_hmac", ""), _negated=True),
                fields=["phone_hmac"],
                name="smssubscription_phone_hmac",
            ),
        ),
    ]
