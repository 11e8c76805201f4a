"""Hourly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import notice_deliveries_requeue


class Command(BaseCommand):
    help = "Re-queue request notices whose sending task was lost."

    def handle(self, *args, **options):
        self.stdout.write(str(notice_deliveries_requeue()))
