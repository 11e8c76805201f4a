"""Nightly job as a command (the same service the Celery beat task calls). It says what
it did in words, e.g. "2 scheduled erasures ran: 1 erased (certificate recorded), 1
blocked (see its request's page)."."""

from django.core.management.base import BaseCommand

from requests_app.services import scheduled_erasures_run

# What each outcome of ``scheduled_erasure_run`` means, in words.
OUTCOMES = {
    "done": "erased (certificate recorded)",
    "blocked": "blocked by a legal hold or an open request (the reason is on the request's page)",
    "cancelled": "cancelled because their request had closed",
    "skipped": "already handled by another run",
}


def erasures_run_words(results: dict[str, int]) -> str:
    total = sum(results.values())
    if not total:
        return "No scheduled erasure was due; nothing was erased."
    parts = [
        f"{count} {OUTCOMES.get(state, state)}" for state, count in sorted(results.items()) if count
    ]
    noun = "erasure" if total == 1 else "erasures"
    return f"{total} scheduled {noun} ran: " + "; ".join(parts) + "."


class Command(BaseCommand):
    help = "Run scheduled erasures whose grace period is over."

    def handle(self, *args, **options):
        self.stdout.write(erasures_run_words(scheduled_erasures_run()))
