"""Rebuild ConsentState from the ledger and report any drift."""

from django.core.management.base import BaseCommand

from consent.services import consent_state_rebuild


class Command(BaseCommand):
    help = "Recompute the consent states from the ledger; --check only reports drift."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report; change nothing.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, check: bool, batch_size: int, **options):
        report = consent_state_rebuild(actor=None, apply=not check, batch_size=batch_size)
        for sample in report.samples:
            self.stdout.write(f"  {sample}")
        verb = "found" if check else "repaired"
        line = (
            f"Checked {report.checked} state(s): {report.missing} missing, {report.extra} "
            f"extra, {report.different} different ({verb})."
        )
        if report.drift:
            self.stdout.write(self.style.WARNING(line))
        else:
            self.stdout.write(self.style.SUCCESS(line + " No drift."))
        if check and report.drift:
            raise SystemExit(1)
