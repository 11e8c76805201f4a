"""``python -m bench.seed consent``: fictional consent data at benchmark scale, generated inside PostgreSQL (INSERT ...
SELECT over generate_series; nothing goes through the ORM row by row). For the consent
benchmark (bench/consent_bench.py) only: it refuses any database whose name does not
start with ``pbo_bench_``, because ``--reset`` empties the tables it fills.

What it builds for one customer ``bench-consent`` (and an empty second customer):

- ``--contacts`` contacts, each with an e-mail and an E.164 phone identifier (the
  numbering of bench/consent_numbers.py: fictional 555 numbers for the first 2M
  contacts, other valid exchanges beyond, which may be real people's numbers;
  ``--areas-file`` writes the blocks for the load generator), 0.5% restricted;
- three long-code sender numbers; contact g signed up at sender g % 3 (by contact id);
- five ledger events per contact (so 5M for 1M contacts): SMS marketing and SMS
  informational grants at the sender, an e-mail marketing grant, then either a STOP
  (1 in 10) or an imported e-mail re-grant, then either a GPC sale/sharing opt-out
  (1 in 25) or an imported SMS informational re-grant; every grant carries the
  published notice of its purpose;
- ConsentState as the latest event per key by (occurred_at, id), i.e. exactly what
  ``consent_state_rebuild`` computes;
- two SMS subscriptions per contact (marketing: opted out after a STOP, else opted in;
  informational: opted in);
- suppressions (HMACs under the configured SUPPRESSION_HMAC_KEYS): the phone and e-mail
  of 1 in 100 contacts (a number re-used after an erasure) and 10,000 numbers of
  erased people who are no longer contacts;
- an API key, written to ``--key-file`` (keep it under git-ignored bench/results/).

Secondary indexes are dropped during the load and rebuilt after it, and foreign-key
triggers are off for the load (``session_replication_role = replica``: the rows are
correct by construction); the foreign keys are verified by anti-joins afterwards. The
consent app's triggers guard UPDATEs only; this command never updates the ledger."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench import consent_numbers
from bench.consent_numbers import BLOCK, blocks, write_blocks
from consent.services import api_key_create
from privacy.hashing import identifier_hmac
from privacy.models import Customer

SOURCE = "bench-consent"
SENDERS = ["+14155550100", "+14155550101", "+14155550102"]
OTHER_SENDER = "+14155550199"
EVENTS_PER_CONTACT = 5
BIG_TABLES = [
    "privacy_contact",
    "privacy_contactidentifier",
    "consent_consentevent",
    "consent_consentstate",
    "consent_smssubscription",
]
FOREIGN_KEYS = [
    ("privacy_contactidentifier", "contact_id", "privacy_contact"),
    ("consent_consentevent", "contact_id", "privacy_contact"),
    ("consent_consentevent", "notice_id", "consent_notice"),
    ("consent_consentevent", "purpose_id", "consent_purpose"),
    ("consent_consentstate", "contact_id", "privacy_contact"),
    ("consent_consentstate", "last_event_id", "consent_consentevent"),
    ("consent_smssubscription", "contact_id", "privacy_contact"),
]


#: Gateways that text nobody; any other could reach the real numbers beyond 2M contacts.
SAFE_SMS_GATEWAYS = ("consent.sms.ConsoleGateway", "consent.sms.LocmemGateway")


def numbering(contacts: int) -> list[str]:
    """The blocks of the contacts' numbers and of the erased non-contacts' after them."""
    try:
        return blocks(contacts + 10_000)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "Seed the consent benchmark database (see the module docstring)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=1_000_000)
        parser.add_argument("--key-file", default="bench/results/consent_api_key.txt")
        parser.add_argument("--areas-file", default="bench/results/consent_areas.txt")
        parser.add_argument("--reset", action="store_true", help="Empty the tables first.")

    def handle(self, *args, contacts: int, key_file: str, areas_file: str, reset: bool, **opts):
        if settings.CONSENT_SMS_GATEWAY not in SAFE_SMS_GATEWAYS:
            raise CommandError(
                "The seeded numbers may be real: run under bench.settings_bench (console SMS)."
            )
        name = connection.settings_dict["NAME"] or ""
        if connection.vendor != "postgresql" or not name.startswith("pbo_bench_"):
            raise CommandError("Only for a PostgreSQL database named pbo_bench_*.")
        if contacts < 10:
            raise CommandError("--contacts at least 10.")
        if Customer.objects.filter(slug=SOURCE).exists():
            if not reset:
                self.stdout.write("Bench consent data already present (use --reset).")
                return
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE privacy_customer, privacy_contact, privacy_contactidentifier, "
                    "privacy_suppression, privacy_auditevent, consent_consentevent, "
                    "consent_consentstate, consent_smssubscription, consent_inboundmessage, "
                    "consent_apikey, consent_sendernumber RESTART IDENTITY CASCADE"
                )
        areas = numbering(contacts)
        started = time.perf_counter()
        timings: dict[str, float] = {}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL session_replication_role = replica")
            dropped = self._drop_indexes(cursor)
            counts = self._seed(cursor, contacts, areas, timings)
            t = time.perf_counter()
            cursor.execute("SET LOCAL session_replication_role = origin")
            for definition in dropped:
                cursor.execute(definition)
            timings["indexes"] = time.perf_counter() - t
            t = time.perf_counter()
            self._verify(cursor, contacts)
            timings["verify"] = time.perf_counter() - t
        t = time.perf_counter()
        with connection.cursor() as cursor:
            for table in [*BIG_TABLES, "privacy_suppression", "privacy_customer"]:
                cursor.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum"] = time.perf_counter() - t

        customer = Customer.objects.get(slug=SOURCE)
        _, raw_key = api_key_create(actor=None, customer=customer, name="bench")
        path = Path(key_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(raw_key + "\n")
        os.chmod(path, 0o600)
        write_blocks(areas_file, areas, contacts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {time.perf_counter() - started:.0f}s: "
                + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            )
        )
        self.stdout.write("Phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
        self.stdout.write(f"API key written to {path}; number blocks to {areas_file}.")

    def _drop_indexes(self, cursor) -> list[str]:
        """Drop the big tables' indexes that back no constraint; return their DDL."""
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
              FROM pg_index i
             WHERE i.indrelid = ANY(%s::regclass[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [BIG_TABLES],
        )
        rows = cursor.fetchall()
        for index_name, _ in rows:
            cursor.execute(f"DROP INDEX {index_name}")
        return [definition for _, definition in rows]

    def _seed(self, cursor, n: int, areas: list[str], timings: dict) -> dict[str, int]:
        def phase(label: str, sql: str, params=None) -> int:
            t = time.perf_counter()
            cursor.execute(sql, params)
            timings[label] = time.perf_counter() - t
            return cursor.rowcount

        cursor.execute(
            """
            INSERT INTO privacy_customer (name, slug, status, privacy_contact_email,
                                          default_phone_region, created_at, last_activity_at)
            VALUES ('Bench consent customer', %s, 'active', 'privacy@bench.example.com', 'US',
                    now() - interval '3 years', now()),
                   ('Bench other customer', %s, 'active', 'privacy@other.example.com', 'US',
                    now() - interval '3 years', now())
            RETURNING id
            """,
            [SOURCE, SOURCE + "-other"],
        )
        main_id, other_id = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            """
            INSERT INTO consent_sendernumber (customer_id, number, kind, brand_name,
                                              help_contact, is_default_marketing, is_active,
                                              created_at)
            SELECT %s, s, 'long_code', 'Bench Shop', 'help.bench.example.com', s = %s, true,
                   now() - interval '3 years'
              FROM unnest(%s::text[]) s
            UNION ALL
            SELECT %s, %s, 'long_code', 'Other Shop', '', true, true, now()
            """,
            [main_id, SENDERS[0], SENDERS, other_id, OTHER_SENDER],
        )
        cursor.execute(
            "SELECT DISTINCT ON (p.code) p.code, p.id, n.id FROM consent_purpose p "
            "JOIN consent_notice n ON n.purpose_id = p.id AND n.published_at IS NOT NULL "
            "ORDER BY p.code, n.version DESC"
        )
        purpose = {code: (pid, nid) for code, pid, nid in cursor.fetchall()}
        counts = {}
        counts["contacts"] = phase(
            "contacts",
            """
            INSERT INTO privacy_contact (
                kind, customer_id, first_name, last_name, email, phone, city, country, state,
                source, do_not_contact, is_restricted, created_at, last_interaction_at)
            SELECT 'end_user', %(customer)s, 'Bench', 'Person ' || g,
                   'c' || g || '@bench.example.org',
                   '+1' || (%(areas)s::text[])[1 + g / %(block)s]
                        || lpad((g %% %(block)s)::text, 4, '0'),
                   'Springfield', 'US', (ARRAY['CA','NY','TX','FL','MA','CO','VA','WA'])[1 + g %% 8],
                   %(source)s, false, g %% 200 = 7,
                   now() - interval '500 days', now() - (g %% 300) * interval '1 day'
              FROM generate_series(0, %(n)s - 1) g
             ORDER BY g
            """,
            {"customer": main_id, "areas": areas, "block": BLOCK, "source": SOURCE, "n": n},
        )
        counts["identifiers"] = phase(
            "identifiers",
            """
            INSERT INTO privacy_contactidentifier (
                contact_id, customer_id, kind, value, match_key, extension, is_primary, created_at)
            SELECT id, customer_id, u.kind, u.value, lower(u.value), NULL, true, created_at
              FROM privacy_contact
             CROSS JOIN LATERAL (VALUES ('email', email), ('phone', phone)) AS u(kind, value)
             WHERE customer_id = %s
            """,
            [main_id],
        )
        counts["consent events"] = phase(
            "events",
            """
            INSERT INTO consent_consentevent (
                customer_id, contact_id, visitor_id, purpose_id, action, identifier,
                identifier_hmac, sender, occurred_at, recorded_at, method, notice_id,
                ip_address, user_agent, page_url, source, reference, recorded_by_id,
                deidentified_at, parental_consent_method, parental_consent_reference)
            SELECT c.customer_id, c.id, NULL, e.purpose_id, e.action, e.identifier, '',
                   e.sender, e.at, e.at, e.method, e.notice_id,
                   CASE WHEN e.method = 'web_form' THEN ('203.0.113.' || (c.id %% 250))::inet END,
                   CASE WHEN e.method = 'web_form' THEN 'Mozilla/5.0 (bench)' END,
                   CASE WHEN e.method = 'web_form' THEN 'https://shop.example.com/signup' END,
                   CASE WHEN e.method = 'import' THEN 'crm export 2025' END,
                   CASE WHEN e.method = 'sms_keyword' THEN 'SMbench' || c.id ELSE '' END,
                   NULL, NULL, '', ''
              FROM (SELECT id, customer_id, phone, lower(email) AS email,
                           (%(senders)s::text[])[1 + id %% 3] AS s,
                           now() - interval '400 days' + (id %% 300) * interval '1 day'
                               + (id %% 86400) * interval '1 second' AS t0
                      FROM privacy_contact WHERE customer_id = %(customer)s) c
             CROSS JOIN LATERAL (VALUES
                (%(sms_m)s, 'grant', c.phone, c.s, 'web_form', %(sms_m_n)s, c.t0),
                (%(sms_i)s, 'grant', c.phone, c.s, 'web_form', %(sms_i_n)s, c.t0),
                (%(em)s, 'grant', c.email, '', 'web_form', %(em_n)s, c.t0 + interval '1 day'),
                (CASE WHEN c.id %% 10 = 0 THEN %(sms_m)s ELSE %(em)s END,
                 CASE WHEN c.id %% 10 = 0 THEN 'withdraw' ELSE 'grant' END,
                 CASE WHEN c.id %% 10 = 0 THEN c.phone ELSE c.email END,
                 CASE WHEN c.id %% 10 = 0 THEN c.s ELSE '' END,
                 CASE WHEN c.id %% 10 = 0 THEN 'sms_keyword' ELSE 'import' END,
                 CASE WHEN c.id %% 10 = 0 THEN NULL ELSE %(em_n)s END,
                 c.t0 + interval '30 days'),
                (CASE WHEN c.id %% 25 = 0 THEN %(sale)s ELSE %(sms_i)s END,
                 CASE WHEN c.id %% 25 = 0 THEN 'withdraw' ELSE 'grant' END,
                 CASE WHEN c.id %% 25 = 0 THEN '' ELSE c.phone END,
                 CASE WHEN c.id %% 25 = 0 THEN '' ELSE c.s END,
                 CASE WHEN c.id %% 25 = 0 THEN 'gpc' ELSE 'import' END,
                 CASE WHEN c.id %% 25 = 0 THEN NULL ELSE %(sms_i_n)s END,
                 c.t0 + interval '60 days')
             ) AS e(purpose_id, action, identifier, sender, method, notice_id, at)
            """,
            {
                "customer": main_id,
                "senders": SENDERS,
                "sms_m": purpose["sms_marketing"][0],
                "sms_m_n": purpose["sms_marketing"][1],
                "sms_i": purpose["sms_informational"][0],
                "sms_i_n": purpose["sms_informational"][1],
                "em": purpose["email_marketing"][0],
                "em_n": purpose["email_marketing"][1],
                "sale": purpose["sale_sharing"][0],
            },
        )
        counts["consent states"] = phase(
            "states",
            """
            INSERT INTO consent_consentstate (
                customer_id, contact_id, visitor_id, purpose_id, identifier, sender,
                is_granted, since, method, notice_id, last_event_id, objected, parental_consent)
            SELECT DISTINCT ON (contact_id, purpose_id, identifier, sender)
                   customer_id, contact_id, NULL, purpose_id, identifier, sender,
                   action = 'grant', occurred_at, method, notice_id, id, action = 'object',
                   parental_consent_method <> ''
              FROM consent_consentevent
             WHERE contact_id IS NOT NULL AND deidentified_at IS NULL
             ORDER BY contact_id, purpose_id, identifier, sender, occurred_at DESC, id DESC
            """,
        )
        counts["SMS subscriptions"] = phase(
            "subscriptions",
            """
            INSERT INTO consent_smssubscription (
                customer_id, contact_id, phone, phone_hmac, sender, program, status,
                prompt_notice_id, requested_at, prompt_sent_at, opted_in_at, opted_out_at,
                updated_at, deidentified_at)
            SELECT c.customer_id, c.id, c.phone, '', (%(senders)s::text[])[1 + c.id %% 3],
                   p.program,
                   CASE WHEN p.program = 'marketing' AND c.id %% 10 = 0 THEN 'opted_out'
                        ELSE 'opted_in' END,
                   NULL, c.t0, NULL, c.t0,
                   CASE WHEN p.program = 'marketing' AND c.id %% 10 = 0
                        THEN c.t0 + interval '30 days' END,
                   c.t0 + interval '60 days', NULL
              FROM (SELECT id, customer_id, phone,
                           now() - interval '400 days' + (id %% 300) * interval '1 day' AS t0
                      FROM privacy_contact WHERE customer_id = %(customer)s) c
             CROSS JOIN (VALUES ('marketing'), ('informational')) AS p(program)
            """,
            {"customer": main_id, "senders": SENDERS},
        )
        t = time.perf_counter()
        counts["suppressions"] = self._suppressions(cursor, main_id, n, areas)
        timings["suppressions"] = time.perf_counter() - t
        return counts

    def _suppressions(self, cursor, customer_id: int, n: int, areas: list[str]) -> int:
        """Suppression rows carry HMACs computed with the installation's keys, so they
        are made here (tens of thousands) and written with COPY."""
        key_id = settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID
        cursor.execute(
            "SELECT phone, lower(email) FROM privacy_contact "
            "WHERE customer_id = %s AND id %% 100 = 42",
            [customer_id],
        )
        rows = []
        for phone, email in cursor.fetchall():
            for channel, value in (("phone", phone), ("email", email)):
                rows.append(
                    (identifier_hmac(channel=channel, value=value), key_id, channel, "customer",
                     customer_id)
                )  # fmt: skip
        for g in range(n, n + 10_000):
            e164 = consent_numbers.phone(areas, g)
            rows.append((identifier_hmac(channel="phone", value=e164), key_id, "phone", "global",
                         None))  # fmt: skip
        created_on = timezone.localdate() - dt.timedelta(days=30)
        with cursor.copy(
            "COPY privacy_suppression (identifier_hmac, key_id, channel, scope, customer_id, "
            "created_on, reason) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, created_on, "erasure"))
        return len(rows)

    def _verify(self, cursor, n: int) -> None:
        """The foreign keys the load did not check, and the sizes."""
        for table, column, target in FOREIGN_KEYS:
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} x WHERE x.id = t.{column})"
            )
            (orphans,) = cursor.fetchone()
            if orphans:
                raise CommandError(f"{orphans} rows of {table}.{column} point nowhere.")
        cursor.execute("SELECT count(*) FROM consent_consentevent")
        if cursor.fetchone()[0] != n * EVENTS_PER_CONTACT:
            raise CommandError("Unexpected number of consent events.")
