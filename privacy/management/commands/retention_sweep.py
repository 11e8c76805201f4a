"""Apply the retention rules now (the nightly job, by hand)."""

from django.core.management.base import BaseCommand

from privacy.services import retention_sweep


class Command(BaseCommand):
    help = "Erase contacts whose retention period is over. --dry-run only reports counts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would go; change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, dry_run: bool, batch_size: int | None, **options):
        report = retention_sweep(actor=None, dry_run=dry_run, batch_size=batch_size)
        verb = "would erase" if dry_run else "erased"
        for code, rule in report.rules.items():
            count = rule.due - rule.deferred if dry_run else rule.erased
            line = f"{code}: {verb} {count} contact(s)"
            line += f"; {rule.held} held back by a legal hold"
            if rule.deferred:
                line += f"; {rule.deferred_text()} (taken on a later run)"
            if rule.failed:
                line += f"; {rule.failed} failed (see log)"
            self.stdout.write(line)
        if dry_run:
            total = sum(r.due for r in report.rules.values()) - report.deferred
        else:
            total = report.erased
        deferred = f" {report.deferred_text()}." if report.deferred else ""
        self.stdout.write(self.style.SUCCESS(f"Total: {verb} {total} contact(s).{deferred}"))
