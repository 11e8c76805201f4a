"""Idempotent demo data for the embedded default: staff accounts, customers, contacts,
interactions, holds, expired records, and whatever the other installed apps registered
(``privacy.demo.demo_seeder_register``: consent history, privacy requests). Prints the
demo staff accounts."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from privacy.demo import demo_data_present, demo_seeders, seed_demo_privacy
from privacy.roles import AUDITOR, PRIVACY_OFFICER, SUPPORT_AGENT
from privacy.services import staff_user_save

DEMO_STAFF = [
    # username, password, group, superuser
    ("officer", "demo-officer-pass", PRIVACY_OFFICER, False),
    ("agent", "demo-agent-pass", SUPPORT_AGENT, False),
    ("auditor", "demo-auditor-pass", AUDITOR, False),
    ("admin", "demo-admin-pass", None, True),
]


class Command(BaseCommand):
    help = "Create demo data (once) and the demo staff accounts; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--contacts-per-customer", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, contacts_per_customer: int, seed: int, **options):
        self._staff()
        if demo_data_present():
            self.stdout.write("Demo data already present; nothing added.")
        else:
            rng = random.Random(seed)  # noqa: S311 - reproducible fictional data, not secrets
            # Demo requests send notices: fictional people get no mail, and the console
            # stays readable (the notices are on each request's timeline).
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
                transaction.atomic(),
            ):
                contacts = seed_demo_privacy(contacts_per_customer=contacts_per_customer, rng=rng)
                self.stdout.write(
                    f"Created {len(contacts)} demo contacts with interactions and holds."
                )
                for label, seeder in demo_seeders():
                    counts = seeder(contacts=contacts, rng=rng)
                    self.stdout.write(f"{label}: {counts}")
        self._print_staff()

    def _staff(self) -> None:
        """The demo accounts, through the staff service like any account made in the
        admin: each creation (and a role added later) has its audit row."""
        User = get_user_model()
        for username, password, group_name, superuser in DEMO_STAFF:
            groups = [Group.objects.get(name=group_name)] if group_name else []
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    email=f"{username}@staff.example.com",
                    is_staff=True,
                    is_superuser=superuser,
                )
                user.set_password(password)
                staff_user_save(actor=None, user=user, groups=groups)
            elif not set(groups) <= set(user.groups.all()):
                staff_user_save(actor=None, user=user, groups={*user.groups.all(), *groups})

    def _print_staff(self) -> None:
        self.stdout.write(self.style.SUCCESS("\nDemo staff accounts (log in at /admin/):"))
        for username, password, group, superuser in DEMO_STAFF:
            role = group or ("superuser" if superuser else "")
            self.stdout.write(f"  {username:<8} / {password:<20} {role}")
        self.stdout.write("Demo passwords are for this local demo only.\n")
