"""Nightly job as a command (the same service the Celery beat task calls)."""

from django.core.management.base import BaseCommand

from privacy.services import staff_login_records_purge


class Command(BaseCommand):
    help = (
        "Delete records of staff sign-in attempts (django-axes) older than "
        "STAFF_LOGIN_RECORDS_RETENTION_DAYS, except those still locking an account."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(staff_login_records_purge()))
