"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import deadline_digest_send


class Command(BaseCommand):
    help = "Send today's deadline digest to the privacy officers (once a day)."

    def handle(self, *args, **options):
        self.stdout.write(str(deadline_digest_send()))
