"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from privacy.services import minors_data_erase


class Command(BaseCommand):
    help = "Queue contacts known to be minors and erase those whose grace period is over."

    def handle(self, *args, **options):
        self.stdout.write(str(minors_data_erase()))
