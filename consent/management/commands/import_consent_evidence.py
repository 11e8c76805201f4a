"""Import consent evidence from a CSV file: all rows or none."""

import tablib
from django.core.management.base import BaseCommand, CommandError

from consent.imports import consent_evidence_import


class Command(BaseCommand):
    help = "Import consent evidence (see consent/imports.py for the columns). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        with open(path, encoding="utf-8-sig") as handle:
            dataset = tablib.Dataset().load(handle.read(), format="csv")
        report = consent_evidence_import(actor=None, dataset=dataset)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"Nothing imported: {len(report.errors)} problem(s).")
        self.stdout.write(self.style.SUCCESS(f"Imported {report.imported} consent event(s)."))
