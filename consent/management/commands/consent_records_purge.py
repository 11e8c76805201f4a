"""Delete cookie records past 12 months and SMS proof past its 4 years (nightly job)."""

from django.core.management.base import BaseCommand

from consent.services import consent_records_purge


class Command(BaseCommand):
    help = "Purge cookie-consent records older than the retention period, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, batch_size, **options):
        counts = consent_records_purge(actor=None, batch_size=batch_size)
        if not counts:
            self.stdout.write("Nothing to purge.")
        for name, count in sorted(counts.items()):
            self.stdout.write(f"{name}: {count} deleted")
