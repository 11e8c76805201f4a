"""Tell the people who consented under an earlier version of a material notice change
(the nightly job, by hand; safe to run twice)."""

from django.core.management.base import BaseCommand

from consent.services import material_notice_change_notify, material_notice_changes_notify


class Command(BaseCommand):
    help = "Notify contacts of material notice changes still in their grace period."

    def add_arguments(self, parser):
        parser.add_argument("--notice", type=int, default=None, help="One notice id only")

    def handle(self, *args, notice, **options):
        if notice is not None:
            report = material_notice_change_notify(actor=None, notice_id=notice)
        else:
            report = material_notice_changes_notify(actor=None)
        self.stdout.write(f"Material changes: {report.notices}")
        for outcome, count in sorted(report.counts.items()):
            self.stdout.write(f"{outcome}: {count}")
