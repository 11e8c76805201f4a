"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import unverified_requests_expire


class Command(BaseCommand):
    help = "Close requests not verified within the window, with a closing notice."

    def handle(self, *args, **options):
        self.stdout.write(str(unverified_requests_expire()))
