"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import scheduled_erasures_run


class Command(BaseCommand):
    help = "Run scheduled erasures whose grace period is over."

    def handle(self, *args, **options):
        self.stdout.write(str(scheduled_erasures_run()))
