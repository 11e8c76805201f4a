"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import request_log_prune


class Command(BaseCommand):
    help = "Delete closed requests older than the request-log retention (24 months)."

    def handle(self, *args, **options):
        self.stdout.write(str(request_log_prune()))
