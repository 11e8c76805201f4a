"""Import a customer's contacts from a CSV file too big for the admin upload.

All or nothing: when any row is bad, every bad row is listed by line number (with a
reason, never the row's content), nothing is saved and the command exits non-zero.
The work is done by ``privacy.services.bulk_import.contacts_import_csv``."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from privacy.models import Customer
from privacy.services.bulk_import import (
    COLUMNS,
    DEFAULT_BATCH_SIZE,
    ContactImportRefused,
    contacts_import_csv,
    default_workers,
)


class Command(BaseCommand):
    help = (
        "Import contacts of one customer from a CSV file (UTF-8, with or without BOM; "
        f"header: {','.join(COLUMNS)}). Identifiers are normalised, duplicates merged into "
        "one contact (within the file and with the customer's existing contacts). If any "
        "row is bad, every bad row is listed by line number and nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file.")
        parser.add_argument("--customer", required=True, help="Slug of the customer.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report what would happen; save nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per chunk handed to a worker (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"Processes normalising identifiers (default {default_workers()}, the cores).",
        )
        parser.add_argument(
            "--method",
            choices=["copy", "orm"],
            default=None,
            help="copy (PostgreSQL COPY, the default there) or orm (portable fallback).",
        )

    def handle(self, *args, file: str, customer: str, dry_run: bool, batch_size: int, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError("The file does not exist or is not a regular file.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            target = Customer.objects.get(slug=customer)
        except Customer.DoesNotExist:
            raise CommandError(f"No customer with the slug {customer!r}.") from None
        try:
            report = contacts_import_csv(
                actor=None,
                customer=target,
                path=path,
                dry_run=dry_run,
                batch_size=batch_size,
                workers=options["workers"],
                method=options["method"],
            )
        except ContactImportRefused as refused:
            for error in refused.row_errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Import refused: {len(refused.row_errors)} bad row(s); nothing was saved."
            ) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {report.rows} row(s) for customer #{target.pk} via {report.method} "
            f"in {report.seconds:.1f}s ({report.rows / max(report.seconds, 1e-9):,.0f} rows/s): "
            f"{report.contacts_created} new contact(s), "
            f"{report.existing_contacts_matched} existing contact(s) matched, "
            f"{report.rows_merged_in_file} row(s) merged with another row of the file, "
            f"{report.identifiers_added} identifier(s) added."
        )
        if options["verbosity"] >= 2:
            self.stdout.write(
                "Phases (s): " + ", ".join(f"{k}={v}" for k, v in report.phases.items())
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        else:
            self.stdout.write(self.style.SUCCESS("Done."))
