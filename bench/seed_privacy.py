"""``python -m bench.seed privacy``: fictional data at benchmark scale, generated inside PostgreSQL (generate_series;
nothing goes through the ORM row by row).

The shape follows what the retention sweep and the admin see in production:

- ``--customers`` customers ``bench-NN``: one of every ten terminated three years ago
  (its contacts are past the two-year retention), the others active, with contacts
  spread unevenly (a few big customers, a long tail);
- about 10% of contacts due for erasure: 8% belong to the terminated customer(s), 2%
  are prospects last contacted three years ago; another 10% are our own recent
  prospects, site visitors and account holders (controller mode), not due;
- every contact has an e-mail and an E.164 phone identifier (fictional 555 numbers);
- on average ``--interactions-per-contact`` interactions each (0 to twice that):
  SMS with a body, calls with a duration and a recording reference, web forms with an
  IP address and user agent, e-mails;
- a legal hold on one in a thousand contacts that are due (so the sweep has held ones).

Bench data is recognised by the ``bench-`` customer slugs and the ``bench-seed`` source;
``--reset`` deletes it first (and only it). Without ``--reset`` an existing bench data
set is left alone."""

# Table names in the SQL below are constants of this module, never input.

from __future__ import annotations

import time

import phonenumbers
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from privacy.models import Contact, Customer

SOURCE = "bench-seed"
SLUG_PREFIX = "bench-"
FIRST_NAMES = ["Ana", "Bo", "Dana", "Émile", "Farah", "Ines", "Jonas", "Kwame", "Lena", "Mateo",
               "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sven"]  # fmt: skip
LAST_NAMES = ["Abara", "Brook", "Castillo", "Dubois", "Eriksen", "Fofana", "García", "Huang",
              "Jensen", "Kowalski", "López", "Müller", "Nakamura", "Okafor", "Patel", "Walsh"]  # fmt: skip


def _area_codes(needed_numbers: int) -> list[str]:
    """Area codes whose 555 numbers phonenumbers accepts: 10,000 numbers each."""
    codes = []
    for area in range(201, 990):
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}5551234")):
            codes.append(str(area))
    if len(codes) * 10_000 < needed_numbers:
        raise CommandError(f"At most {len(codes) * 10_000} contacts (distinct 555 numbers).")
    return codes


class Command(BaseCommand):
    help = "Generate fictional benchmark data on PostgreSQL (see the module docstring)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--interactions-per-contact", type=int, default=3)
        parser.add_argument("--customers", type=int, default=10)
        parser.add_argument(
            "--reset", action="store_true", help="Delete existing bench data first."
        )

    def handle(self, *args, contacts: int, interactions_per_contact: int, customers: int,
               reset: bool, **options):  # fmt: skip
        if connection.vendor != "postgresql":
            raise CommandError(
                "The privacy bench seed needs PostgreSQL (it generates data with SQL)."
            )
        if contacts < 1 or customers < 2 or interactions_per_contact < 0:
            raise CommandError("Need --contacts >= 1, --customers >= 2, --interactions >= 0.")
        present = Contact.objects.filter(source=SOURCE).exists()
        if present and not reset:
            self.stdout.write("Bench data already present; nothing added (use --reset).")
            return
        started = time.perf_counter()
        if present:
            self._reset()
            self.stdout.write(
                f"Deleted previous bench data in {time.perf_counter() - started:.0f}s."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            counts = self._seed(cursor, contacts, interactions_per_contact, customers)
        with connection.cursor() as cursor:
            for table in ("privacy_customer", "privacy_contact", "privacy_contactidentifier",
                          "privacy_interaction", "privacy_legalhold"):  # fmt: skip
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {time.perf_counter() - started:.0f}s: "
                + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            )
        )

    def _reset(self) -> None:
        bench_contacts = "SELECT id FROM privacy_contact WHERE source = %s OR customer_id IN (SELECT id FROM privacy_customer WHERE slug LIKE %s)"
        params = [SOURCE, f"{SLUG_PREFIX}%"]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE bench_ids ON COMMIT DROP AS {bench_contacts}", params
            )
            cursor.execute("CREATE INDEX ON bench_ids (id)")
            cursor.execute("ANALYZE bench_ids")
            for table in ("privacy_interaction", "privacy_contactidentifier",
                          "privacy_erasurecertificate", "privacy_legalhold"):  # fmt: skip
                cursor.execute(
                    f"DELETE FROM {table} WHERE contact_id IN (SELECT id FROM bench_ids)"
                )
            cursor.execute("DELETE FROM privacy_contact WHERE id IN (SELECT id FROM bench_ids)")
            bench_customers = "SELECT id FROM privacy_customer WHERE slug LIKE %s"
            for table in ("privacy_interaction", "privacy_contactidentifier",
                          "privacy_legalhold", "privacy_suppression", "privacy_retentionrule"):  # fmt: skip
                cursor.execute(
                    f"DELETE FROM {table} WHERE customer_id IN ({bench_customers})",
                    [f"{SLUG_PREFIX}%"],
                )
            cursor.execute("DELETE FROM privacy_customer WHERE slug LIKE %s", [f"{SLUG_PREFIX}%"])

    def _seed(self, cursor, n: int, k: int, customers: int) -> dict[str, int]:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")  # bench data: speed over durability
        cursor.execute("SELECT setseed(0.2026)")
        terminated = max(1, customers // 10)
        # Customers: the first `terminated` ended three years ago.
        cursor.execute(
            """
            INSERT INTO privacy_customer (name, slug, status, contract_ended_on, last_activity_at,
                                          privacy_contact_email, default_phone_region, created_at)
            SELECT 'Bench customer ' || lpad(g::text, 2, '0'),
                   %(prefix)s || lpad(g::text, 2, '0'),
                   CASE WHEN g <= %(terminated)s THEN 'terminated' ELSE 'active' END,
                   CASE WHEN g <= %(terminated)s THEN current_date - 3 * 365 END,
                   CASE WHEN g <= %(terminated)s THEN now() - interval '3 years'
                        ELSE now() - g * interval '1 hour' END,
                   'privacy@bench-' || g || '.example.com', 'US', now() - interval '6 years'
            FROM generate_series(1, %(customers)s) g
            RETURNING id
            """,
            {"prefix": SLUG_PREFIX, "terminated": terminated, "customers": customers},
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        ended_ids, active_ids = ids[:terminated], ids[terminated:]

        # Contacts. bucket = g % 100: 0-7 terminated customers (due), 8-9 old prospects
        # (due), 10-13 recent prospects, 14-16 site visitors, 17-19 account holders,
        # 20-99 active customers, skewed towards the first ones.
        cursor.execute("SELECT coalesce(max(id), 0) FROM privacy_contact")
        (first_id,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO privacy_contact (
                kind, customer_id, first_name, last_name, email, phone, address_line1, city,
                postal_code, country, state, source, notes, do_not_contact, is_restricted,
                created_at, last_interaction_at)
            SELECT kind, customer_id,
                   (%(first)s::text[])[1 + g %% 16], (%(last)s::text[])[1 + (g / 16) %% 16],
                   'bench' || g || '@example.org',
                   '+1' || (%(areas)s::text[])[1 + g / 10000] || '555' || lpad((g %% 10000)::text, 4, '0'),
                   g || ' Bench Street', 'Springfield', lpad((g %% 99999)::text, 5, '0'), 'US',
                   (ARRAY['CA','NY','TX','FL','MA','CO','VA','WA'])[1 + g %% 8],
                   %(source)s,
                   CASE WHEN g %% 7 = 0 THEN 'Called about billing, asked for a callback' END,
                   g %% 50 = 0, false,
                   now() - (4 * 365 * random()) * interval '1 day' - CASE WHEN old THEN interval '3 years' ELSE interval '0' END,
                   CASE WHEN old THEN now() - interval '3 years' - (300 * random()) * interval '1 day'
                        ELSE now() - (300 * random()) * interval '1 day' END
            FROM (
                SELECT g, b,
                       CASE WHEN b < 8 THEN 'end_user' WHEN b < 14 THEN 'prospect'
                            WHEN b < 17 THEN 'site_visitor' WHEN b < 20 THEN 'account_holder'
                            ELSE 'end_user' END AS kind,
                       CASE WHEN b < 8 THEN (%(ended)s::bigint[])[1 + g %% %(n_ended)s]
                            WHEN b < 20 THEN NULL
                            ELSE (%(active)s::bigint[])[1 + floor(%(n_active)s * power(random(), 2))::int]
                       END AS customer_id,
                       b IN (8, 9) AS old
                FROM (SELECT g, g %% 100 AS b FROM generate_series(0, %(n)s - 1) g) s
            ) x
            ORDER BY g
            """,
            {
                "first": FIRST_NAMES,
                "last": LAST_NAMES,
                "areas": _area_codes(n),
                "source": SOURCE,
                "ended": ended_ids,
                "n_ended": len(ended_ids),
                "active": active_ids,
                "n_active": len(active_ids),
                "n": n,
            },
        )
        contacts = cursor.rowcount
        # Contacts of the terminated customer(s) were last seen before it ended.
        cursor.execute(
            "UPDATE privacy_contact SET last_interaction_at = now() - interval '3 years' - "
            "(365 * random()) * interval '1 day', created_at = now() - interval '5 years' "
            "WHERE id > %s AND customer_id = ANY(%s)",
            [first_id, ended_ids],
        )
        cursor.execute(
            """
            INSERT INTO privacy_contactidentifier (
                contact_id, customer_id, kind, value, match_key, extension, is_primary, created_at)
            SELECT id, customer_id, u.kind, u.value, lower(u.value), NULL, true, created_at
            FROM privacy_contact
            CROSS JOIN LATERAL (VALUES ('email', email), ('phone', phone)) AS u(kind, value)
            WHERE id > %s
            """,
            [first_id],
        )
        identifiers = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO privacy_interaction (
                contact_id, customer_id, channel, direction, occurred_at, from_number, to_number,
                duration_seconds, body, recording_ref, ip_address, user_agent)
            SELECT c.id, c.customer_id, ch.channel,
                   CASE WHEN i %% 3 = 0 THEN 'outbound' ELSE 'inbound' END,
                   c.last_interaction_at - (i * 11) * interval '1 day',
                   CASE WHEN ch.channel IN ('sms', 'call') THEN c.phone END,
                   CASE WHEN ch.channel IN ('sms', 'call') THEN '+14155550100' END,
                   CASE WHEN ch.channel = 'call' THEN 30 + (i * 37) %% 900 END,
                   CASE WHEN ch.channel = 'sms' THEN 'Is my appointment still on for Tuesday?'
                        WHEN ch.channel = 'email' THEN 'Please call me back about my bill.' END,
                   CASE WHEN ch.channel = 'call' THEN 'rec/' || c.id || '/' || i || '.mp3' END,
                   CASE WHEN ch.channel = 'web_form' THEN ('203.0.113.' || (c.id %% 250))::inet END,
                   CASE WHEN ch.channel = 'web_form' THEN 'Mozilla/5.0 (bench)' END
            FROM privacy_contact c
            -- c.id makes the count per contact (without it the series is computed once)
            CROSS JOIN LATERAL generate_series(1, (random() * 2 * %(k)s + 0 * c.id)::int) i
            CROSS JOIN LATERAL (SELECT (ARRAY['sms','sms','sms','sms','sms','call','call','call',
                                              'web_form','email'])[1 + (c.id + i) %% 10] AS channel) ch
            WHERE c.id > %(first_id)s
            """,
            {"k": k, "first_id": first_id},
        )
        interactions = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO privacy_legalhold (contact_id, customer_id, reason, placed_at, ends_on)
            SELECT id, NULL, 'Bench matter ' || (id %% 997) || ', litigation hold', now(), NULL
            FROM privacy_contact
            WHERE id > %s AND customer_id = ANY(%s) AND random() < 0.001
            """,
            [first_id, ended_ids],
        )
        holds = cursor.rowcount
        return {
            "customers": len(ids),
            "contacts": contacts,
            "identifiers": identifiers,
            "interactions": interactions,
            "legal holds": holds,
        }


__all__ = ["Command", "Customer"]
