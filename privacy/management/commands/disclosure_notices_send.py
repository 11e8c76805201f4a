"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from privacy.services import disclosure_notices_send


class Command(BaseCommand):
    help = "Queue the notices of compelled disclosures that the law now allows."

    def handle(self, *args, **options):
        self.stdout.write(str(disclosure_notices_send()))
