"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from requests_app.services import export_packages_purge


class Command(BaseCommand):
    help = "Delete expired export packages' files."

    def handle(self, *args, **options):
        self.stdout.write(str(export_packages_purge()))
