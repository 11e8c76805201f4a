"""Fictional demo data for the privacy core (used by ``manage.py seed_demo``).

Customers in every contract state, thousands of contacts with identifiers and
interactions, some legal holds, and records past their retention period so the admin
and the nightly jobs have something real to show. Phone numbers are in the 555 range.

Other apps add their own demo data through ``demo_seeder_register`` (called from their
``AppConfig.ready``): ``seed_demo`` runs every registered seeder, in the order the apps
are installed, with the contacts created here, and names none of them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.utils import timezone

from privacy.models import Contact, ContactIdentifier, Customer, Interaction, LegalHold

FIRST_NAMES = [
    "Ana", "Bo", "Dana", "Émile", "Farah", "Ines", "Jonas", "Kwame", "Lena", "Mateo",
    "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera", "Wen",
]  # fmt: skip
LAST_NAMES = [
    "Abara", "Brook", "Castillo", "Dubois", "Eriksen", "Fofana", "Garcia", "Huang",
    "Jensen", "Kowalski", "López", "Müller", "Nakamura", "Okafor", "Patel", "Schmidt",
    "Tanaka", "Varga", "Walsh", "Yilmaz",
]  # fmt: skip
AREA_CODES = ["415", "617", "512", "212", "305", "303", "804", "801"]
STATES = {
    "415": "CA",
    "617": "MA",
    "512": "TX",
    "212": "NY",
    "305": "FL",
    "303": "CO",
    "804": "VA",
    "801": "UT",
}
SMS_BODIES = [
    "Is my appointment still on for Tuesday?",
    "Please call me back about my bill.",
    "Thanks, got it.",
    "What are your opening hours?",
]
CUSTOMERS = [
    # slug, name, status, contract ended (days ago), last activity (days ago)
    ("demo-brightsmile", "BrightSmile Dental (demo)", "active", None, 1),
    ("demo-northwind", "Northwind Plumbing (demo)", "active", None, 3),
    ("demo-oldtown", "Old Town Realty (demo)", "terminated", 3 * 365, 3 * 365),
    ("demo-dormant", "Dormant Motors (demo)", "active", None, 6 * 365),
]
MARKER_SLUG = CUSTOMERS[0][0]

#: ``seeder(contacts=[new demo contacts], rng=random.Random) -> {what: how many}``
DemoSeeder = Callable[..., dict]
_SEEDERS: dict[str, DemoSeeder] = {}


def demo_seeder_register(label: str, seeder: DemoSeeder) -> None:
    """Add an app's demo data to ``seed_demo`` (registering again replaces it)."""
    _SEEDERS[label] = seeder


def demo_seeders() -> list[tuple[str, DemoSeeder]]:
    """The registered seeders, in registration (app installation) order."""
    return list(_SEEDERS.items())


def demo_data_present() -> bool:
    return Customer.objects.filter(slug=MARKER_SLUG).exists()


def seed_demo_privacy(*, contacts_per_customer: int, rng: random.Random) -> list[Contact]:
    """Create the demo customers and contacts; returns the new contacts."""
    now = timezone.now()
    customers = []
    for slug, name, status, ended_days, active_days in CUSTOMERS:
        customers.append(
            Customer.objects.create(
                slug=slug,
                name=name,
                status=status,
                contract_ended_on=(now - dt.timedelta(days=ended_days)).date()
                if ended_days
                else None,
                last_activity_at=now - dt.timedelta(days=active_days),
                privacy_contact_email=f"privacy@{slug}.example.com",
            )
        )
    numbers = iter(
        rng.sample(range(len(AREA_CODES) * 10_000), k=len(customers) * contacts_per_customer + 600)
    )

    def person(customer: Customer | None, kind: str, last_seen_days: int) -> tuple[Contact, list]:
        number = next(numbers)
        area = AREA_CODES[number // 10_000]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{number}@example.org".replace("é", "e")
        phone = f"+1{area}555{number % 10_000:04d}"
        seen = now - dt.timedelta(days=last_seen_days, minutes=rng.randrange(1440))
        contact = Contact(
            customer=customer, kind=kind, first_name=first, last_name=last, email=email,
            phone=phone, country="US", state=STATES[area], source=rng.choice(["web form", "call", "sms keyword", "import"]),
            created_at=seen - dt.timedelta(days=rng.randrange(60, 400)), last_interaction_at=seen,
            do_not_contact=rng.random() < 0.05,
        )  # fmt: skip
        return contact, [("email", email), ("phone", phone)]

    planned: list[tuple[Contact, list]] = []
    for customer in customers:
        for _ in range(contacts_per_customer):
            planned.append(person(customer, Contact.Kind.END_USER, rng.randrange(0, 400)))
    # Controller-mode people, some well past their retention period.
    for _ in range(200):
        planned.append(person(None, Contact.Kind.PROSPECT, rng.choice([10, 90, 400, 800, 900])))
    for _ in range(200):
        planned.append(person(None, Contact.Kind.SITE_VISITOR, rng.choice([5, 60, 200, 400, 500])))
    for _ in range(100):
        planned.append(person(None, Contact.Kind.ACCOUNT_HOLDER, rng.choice([3, 30, 900, 2700])))

    contacts = Contact.objects.bulk_create([c for c, _ in planned], batch_size=1000)
    identifiers, interactions = [], []
    for contact, (_, ids) in zip(contacts, planned, strict=True):
        for kind, value in ids:
            identifiers.append(
                ContactIdentifier(contact=contact, customer_id=contact.customer_id, kind=kind,
                                  value=value, match_key=value.lower(), is_primary=True)
            )  # fmt: skip
        for _ in range(rng.randrange(1, 8)):
            channel = rng.choice(["sms", "sms", "call", "chat", "web_form", "email"])
            at = contact.last_interaction_at - dt.timedelta(days=rng.randrange(0, 60))
            interactions.append(
                Interaction(
                    contact=contact, customer_id=contact.customer_id, channel=channel,
                    direction=rng.choice(["inbound", "outbound"]), occurred_at=at,
                    from_number=contact.phone if channel in ("sms", "call") else None,
                    to_number="+14155550100" if channel in ("sms", "call") else None,
                    duration_seconds=rng.randrange(20, 900) if channel == "call" else None,
                    body=rng.choice(SMS_BODIES) if channel in ("sms", "chat", "email", "web_form") else None,
                    recording_ref=f"rec/{contact.pk}/{len(interactions)}.mp3" if channel == "call" else None,
                    ip_address=f"198.51.100.{rng.randrange(1, 255)}" if channel == "web_form" else None,
                    user_agent="Mozilla/5.0 (demo)" if channel == "web_form" else None,
                )
            )  # fmt: skip
    ContactIdentifier.objects.bulk_create(identifiers, batch_size=2000)
    Interaction.objects.bulk_create(interactions, batch_size=2000)

    # A litigation hold on one contact of the terminated customer and one on a prospect
    # past retention, so the sweep shows what a hold does.
    expired_end_user = next(c for c in contacts if c.customer_id == customers[2].pk)
    expired_prospect = next(
        (
            c
            for c in contacts
            if c.kind == Contact.Kind.PROSPECT
            and c.last_interaction_at < now - dt.timedelta(days=800)
        ),
        None,
    )
    LegalHold.objects.create(
        contact=expired_end_user, reason="Demo matter 2026-041: billing dispute (litigation hold)"
    )
    if expired_prospect:
        LegalHold.objects.create(
            contact=expired_prospect, reason="Demo matter 2026-052: regulator inquiry"
        )
    LegalHold.objects.create(
        customer=customers[1],
        reason="Demo: tax audit of FY2025",
        ends_on=(now + dt.timedelta(days=90)).date(),
    )
    return contacts
