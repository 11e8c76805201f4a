"""Publish queued work left unsent while the broker was down (the every-minute job, by
hand: e.g. right after an outage, or where no beat runs)."""

from django.core.management.base import BaseCommand

from privacy.services.outbox import outbox_relay


class Command(BaseCommand):
    help = "Publish outbox tasks left unsent (broker outage) to Celery, oldest first."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="SECONDS",
            help="Only rows unsent at least this long (default PRIVACY_OUTBOX_RELAY_AFTER_SECONDS).",
        )

    def handle(self, *args, batch_size: int | None, older_than: int | None, **options):
        report = outbox_relay(batch_size=batch_size, older_than_seconds=older_than)
        self.stdout.write(
            f"Outbox: {report.sent} sent, {report.failed} failed, {report.pending} still "
            f"pending, {report.purged} old sent row(s) deleted."
        )
        if report.failed:
            self.stderr.write("The broker is unreachable; the rows stay pending (see log).")
