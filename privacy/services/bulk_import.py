"""Bulk import of one customer's contacts from a CSV file too big for the admin upload
(``manage.py import_contacts``; 1M rows and more).

The file is read once, as a stream. The main process splits it into CSV records
(remembering the physical line each record starts on), a small pool of worker
processes normalises every identifier with ``privacy.identifiers`` (the one
normalisation code of the project) and validates every row, and the normalised rows
flow into the database:

- PostgreSQL: ``COPY`` into a TEMP staging table, then set-based ``INSERT ... SELECT``
  into contacts and identifiers. Contact ids come from the contact table's own
  sequence, drawn by the staging table's column default, so every staging row knows
  the id its contact will get without a round trip (the "staging row-number join").
- Any other database (SQLite, the embedded default): the ORM with ``bulk_create`` in
  batches (``contacts_import_rows_orm``).

Rules, whatever the database:

- All or nothing. Every bad row is reported with its line number and a reason that
  never repeats the row's content; when there is one, nothing is saved.
- A row needs an e-mail address or a phone number: they are what deduplication works
  on, and a row without one could not be imported twice without creating a second
  person.
- Deduplication on the normalised identifiers (``ContactIdentifier.match_key``): rows
  of the file that share an e-mail or a phone are one contact (the first row's fields
  win; the others add their identifiers), and a row whose e-mail or phone an existing
  contact of the customer already holds is merged into that contact (new identifiers
  are added; its other fields do not change, except an empty location and the minor
  signals, below). A row whose identifiers belong to two different existing contacts is
  refused: a person cannot be merged into two. Importing the same file twice therefore
  creates nothing the second time.
- The same two rules as the admin import (``privacy.services.imports``): rows of one
  person whose names differ — in the file, or from the existing contact — are refused
  with both lines (or the contact's id) and the kind of identifier that tied them
  (``person_name_conflicts``); a merged person's country and state come together from
  its first row that gives either, and a contact that has either keeps them.
- Children's data: ``date_of_birth`` (YYYY-MM-DD) and ``is_minor`` (true/false) are
  optional columns. A minor signal is never dropped by deduplication: a row that says
  ``is_minor`` true marks the contact it ends up in (new or existing), and a birth date
  fills one the contact does not have yet. The nightly ``minors_data_erase`` job then
  queues the minors for erasure.
- One audit event with counts only.

Memory stays flat whatever the file's size: only a bounded number of chunks is in
flight between the reader, the workers and the database."""

# Table names in the SQL below are this module's constants and model metadata, never input.
# ruff: noqa: S608

from __future__ import annotations

import collections
import csv
import datetime as dt
import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import django
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Contact, ContactIdentifier, Customer
from privacy.services.audit import audit_event_record
from privacy.services.imports import (
    NameReference,
    PersonRow,
    existing_identifier_owners,
    name_key,
    person_name_conflicts,
)

logger = logging.getLogger(__name__)

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "state",
    "source",
    "notes",
    "date_of_birth",
    "is_minor",
)
#: The columns of a file without the optional children's-data columns.
BASE_COLUMNS = COLUMNS[:8]
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
# Longest value each column takes (the model's max_length); notes is unbounded text.
MAX_LENGTHS = {"first_name": 150, "last_name": 150, "state": 10, "source": 100}
MAX_EMAIL_LENGTH = 254
MAX_EXTENSION_LENGTH = 20
DEFAULT_BATCH_SIZE = 10_000
# Below this many records the pool costs more than it saves.
POOL_THRESHOLD_ROWS = 20_000
# Chunks in flight per worker: enough to keep every core busy, few enough to keep
# memory flat.
IN_FLIGHT_PER_WORKER = 2
# A chunk takes well under a second; a worker that can't even start would otherwise
# be restarted by the pool for ever.
WORKER_TIMEOUT_SECONDS = 300
# pg_advisory_xact_lock class for "an import into this customer is running".
_ADVISORY_LOCK_CLASS = 0x1A4C

csv.field_size_limit(10 * 1024 * 1024)

TWO_EXISTING_REASON = (
    "its e-mail and phone (or those of rows sharing them) belong to different existing "
    "contacts; merge or correct those contacts first"
)


class NormalisedRow(NamedTuple):
    """One valid row, identifiers normalised. ``line`` is where the record starts."""

    line: int
    first_name: str | None
    last_name: str | None
    email: str | None
    email_key: str | None
    phone: str | None
    phone_ext: str | None
    country: str | None
    state: str | None
    source: str | None
    notes: str | None
    date_of_birth: str | None  # ISO date, checked
    is_minor: bool | None


@dataclass(frozen=True, order=True)
class RowError:
    """A bad row: its line number and a reason that holds none of the row's content."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ContactImportRefused(ValidationError):
    """The file was refused and nothing was saved; ``row_errors`` lists every bad row."""

    def __init__(self, row_errors: Sequence[RowError]):
        self.row_errors = sorted(row_errors)
        super().__init__([str(e) for e in self.row_errors])


@dataclass
class ContactImportReport:
    """Counts only: what the import did (or, with ``dry_run``, would do)."""

    method: str
    dry_run: bool = False
    rows: int = 0
    contacts_created: int = 0
    existing_contacts_matched: int = 0
    rows_merged_in_file: int = 0
    identifiers_added: int = 0
    seconds: float = 0.0
    # Seconds per phase (read+normalise+COPY, grouping, inserts, commit), for tuning.
    phases: dict[str, float] = field(default_factory=dict)
    row_errors: list[RowError] = field(default_factory=list)

    def as_summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "rows": self.rows,
            "contacts_created": self.contacts_created,
            "existing_contacts_matched": self.existing_contacts_matched,
            "rows_merged_in_file": self.rows_merged_in_file,
            "identifiers_added": self.identifiers_added,
        }


class _DryRunRollback(Exception):
    """Raised inside the transaction to undo a dry run."""


# --- Reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where each known column sits in the file's records (-1: not in the file)."""

    positions: tuple[int, ...]
    width: int


def _read_layout(header: list[str]) -> _Layout:
    names = [name.strip().lower() for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown or len(set(names)) != len(names):
        # Never echo the header: a file without one has personal data on line 1.
        raise ContactImportRefused(
            [
                RowError(
                    1,
                    f"the header has {len(unknown)} unknown and "
                    f"{len(names) - len(set(names))} repeated column name(s); "
                    f"expected a header of: {', '.join(COLUMNS)}",
                )
            ]
        )
    if "email" not in names and "phone" not in names:
        raise ContactImportRefused(
            [RowError(1, "the header needs an email or a phone column to identify people")]
        )
    return _Layout(
        positions=tuple(names.index(c) if c in names else -1 for c in COLUMNS),
        width=len(names),
    )


def _records(path: Path, batch_size: int) -> tuple[_Layout, Iterator[list[tuple[int, list[str]]]]]:
    """The file's layout and its records in chunks of ``(start line, fields)``.

    UTF-8 with or without a byte-order mark; quoted fields may span lines, so a
    record's line number is the physical line it starts on (the header is line 1)."""
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the generator
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error):
        handle.close()
        raise ContactImportRefused([RowError(1, "the header is not valid UTF-8 CSV")]) from None
    if header is None:
        handle.close()
        raise ContactImportRefused([RowError(1, "the file is empty")])
    try:
        layout = _read_layout(header)
    except ContactImportRefused:
        handle.close()
        raise

    def chunks() -> Iterator[list[tuple[int, list[str]]]]:
        with handle:
            chunk: list[tuple[int, list[str]]] = []
            next_line = reader.line_num + 1
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except UnicodeDecodeError:
                    chunk.append((next_line, ["\x00invalid-utf8"]))
                    break
                except csv.Error:
                    chunk.append((next_line, ["\x00invalid-csv"]))
                    break
                if fields:  # a blank line is not a record
                    chunk.append((next_line, fields))
                    if len(chunk) >= batch_size:
                        yield chunk
                        chunk = []
                next_line = reader.line_num + 1
            if chunk:
                yield chunk

    return layout, chunks()


# --- Normalising (runs in the worker processes) --------------------------------------


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _normalise_record(
    line: int, fields: list[str], layout: _Layout, region: str
) -> NormalisedRow | RowError:
    if fields and fields[0].startswith("\x00invalid-"):
        what = "UTF-8" if fields[0] == "\x00invalid-utf8" else "CSV (check the quoting)"
        return RowError(line, f"the file is not valid {what} from this line on")
    if len(fields) != layout.width:
        return RowError(line, f"has {len(fields)} fields, the header has {layout.width}")
    values = [_clean(fields[p]) if p >= 0 else None for p in layout.positions]
    first_name, last_name, raw_email, raw_phone, country, state, source, notes, birth, minor = (
        values
    )
    problems: list[str] = []
    if any("\x00" in v for v in values if v):
        problems.append("contains a NUL character")
    for name, limit in MAX_LENGTHS.items():
        value = values[COLUMNS.index(name)]
        if value and len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    if country:
        country = country.upper()
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            problems.append("country must be a two-letter ISO 3166 code")
    if state:
        state = state.upper()  # as the admin import stores it
    date_of_birth, is_minor = parse_minor_cells(birth, minor, problems)
    email = email_key = phone = phone_ext = None
    if raw_email:
        try:
            email = normalize_email(raw_email)
        except ValidationError as exc:
            problems.append(f"e-mail: {exc.messages[0]}")
        else:
            if len(email) > MAX_EMAIL_LENGTH:
                problems.append(f"e-mail is longer than {MAX_EMAIL_LENGTH} characters")
            email_key = email_match_key(email)
    if raw_phone:
        try:
            parsed = parse_phone(raw_phone, default_region=region)
        except ValidationError as exc:
            problems.append(f"phone: {exc.messages[0]}")
        else:
            phone, phone_ext = parsed.e164, parsed.extension
            if phone_ext and len(phone_ext) > MAX_EXTENSION_LENGTH:
                problems.append(f"phone extension is longer than {MAX_EXTENSION_LENGTH} digits")
    if not raw_email and not raw_phone:
        problems.append("needs an e-mail address or a phone number (people are matched on them)")
    if problems:
        return RowError(line, "; ".join(problems))
    return NormalisedRow(
        line, first_name, last_name, email, email_key, phone, phone_ext, country, state, source,
        notes, date_of_birth, is_minor,
    )  # fmt: skip


def parse_minor_cells(
    birth: str | None, minor: str | None, problems: list[str]
) -> tuple[str | None, bool | None]:
    """The children's-data cells of a row: an ISO birth date (not in the future) and a
    yes/no minor flag. Problems are appended without the cell's value."""
    date_of_birth = is_minor = None
    if birth:
        try:
            parsed = dt.date.fromisoformat(birth[:10])
        except ValueError:
            problems.append("date_of_birth must be a date as YYYY-MM-DD")
        else:
            if parsed > dt.date.today():
                problems.append("date_of_birth is in the future")
            else:
                date_of_birth = parsed.isoformat()
    if minor:
        flag = minor.strip().lower()
        if flag in _TRUE:
            is_minor = True
        elif flag in _FALSE:
            is_minor = False
        else:
            problems.append("is_minor must be true or false")
    return date_of_birth, is_minor


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows: Iterable[NormalisedRow]) -> bytes:
    """Rows in PostgreSQL's COPY text format."""
    out = []
    for row in rows:
        out.append(
            "\t".join(
                "\\N" if value is None else str(value).translate(_COPY_ESCAPES) for value in row
            )
        )
    out.append("")
    return "\n".join(out).encode("utf-8")


class _ChunkResult(NamedTuple):
    rows: int
    errors: list[RowError]
    # COPY text (as_copy) or the normalised rows themselves.
    payload: bytes | list[NormalisedRow]


def _normalise_chunk(
    chunk: list[tuple[int, list[str]]], layout: _Layout, region: str, as_copy: bool
) -> _ChunkResult:
    good: list[NormalisedRow] = []
    errors: list[RowError] = []
    for line, fields in chunk:
        result = _normalise_record(line, fields, layout, region)
        if isinstance(result, RowError):
            errors.append(result)
        else:
            good.append(result)
    return _ChunkResult(len(chunk), errors, _copy_text(good) if as_copy else good)


def _worker_init() -> None:
    # Only needed where workers are spawned (no fork): they need the app registry to
    # import this module, never the database.
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it: workers start at once with everything imported.
    They only run pure functions on the chunks they receive; they never touch the
    database connection they inherit, log, or run exit handlers (pool workers leave
    with os._exit), so the parent's connection and threads are not disturbed."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _normalised_chunks(
    chunks: Iterator[list[tuple[int, list[str]]]],
    *,
    layout: _Layout,
    region: str,
    as_copy: bool,
    workers: int,
) -> Iterator[_ChunkResult]:
    """Normalise chunks in order, on a process pool when the file is big enough."""
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if workers <= 1 or second is None or len(first) + len(second) < POOL_THRESHOLD_ROWS:
        for chunk in (first, second, *chunks) if second is not None else (first,):
            yield _normalise_chunk(chunk, layout, region, as_copy)
        return
    with _pool_context().Pool(workers, initializer=_worker_init) as pool:
        pending: collections.deque = collections.deque()
        for chunk in _chain(first, second, chunks):
            pending.append(pool.apply_async(_normalise_chunk, (chunk, layout, region, as_copy)))
            # Back-pressure: never more than a few chunks in flight.
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().get(timeout=WORKER_TIMEOUT_SECONDS)
        while pending:
            yield pending.popleft().get(timeout=WORKER_TIMEOUT_SECONDS)


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# --- The public service --------------------------------------------------------------


def contacts_import_csv(
    *,
    actor: AbstractBaseUser | None,
    customer: Customer,
    path: str | Path,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
    method: str | None = None,
) -> ContactImportReport:
    """Import a customer's contacts from a CSV file; all or nothing.

    Raises ``ContactImportRefused`` (listing every bad row by line number) when any row
    is bad; nothing is saved then. ``method`` is ``"copy"`` (PostgreSQL) or ``"orm"``;
    by default COPY wherever the database is PostgreSQL."""
    if customer.status == Customer.Status.TERMINATED:
        raise ValidationError(
            "This customer's contract has ended; contacts cannot be imported for it."
        )
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    method = method or ("copy" if connection.vendor == "postgresql" else "orm")
    if method == "copy" and connection.vendor != "postgresql":
        raise ValueError("The COPY import needs PostgreSQL.")
    workers = default_workers() if workers is None else workers
    started = time.perf_counter()
    layout, chunks = _records(Path(path), batch_size)
    results = _normalised_chunks(
        chunks,
        layout=layout,
        region=customer.default_phone_region,
        as_copy=method == "copy",
        workers=workers,
    )
    report = ContactImportReport(method=method, dry_run=dry_run)
    _phase(report, "start")
    try:
        with transaction.atomic():
            if method == "copy":
                _import_copy(customer=customer, results=results, report=report)
            else:
                contacts_import_rows_orm(
                    customer=customer, results=results, report=report, batch_size=batch_size
                )
            if report.row_errors:
                raise ContactImportRefused(report.row_errors)
            if dry_run:
                raise _DryRunRollback
            _phase(report, "other_work")
            audit_event_record(
                actor=actor,
                action=AuditAction.CONTACT_BULK_IMPORTED,
                object_type="customer",
                object_id=customer.pk,
                summary={**report.as_summary(), "via": "import_contacts"},
            )
    except _DryRunRollback:
        pass
    except IntegrityError:
        # The database's message names the duplicate value: never let it out.
        raise ContactImportRefused(
            [
                RowError(
                    0,
                    "someone else added one of these identifiers to this customer while the "
                    "import ran; nothing was saved, run the import again",
                )
            ]
        ) from None
    finally:
        results.close()
    if not dry_run:
        _phase(report, "commit")
    report.seconds = time.perf_counter() - started
    logger.info(
        "Contact import customer=%s dry_run=%s %s in %.1fs",
        customer.pk,
        dry_run,
        report.as_summary(),
        report.seconds,
    )
    return report


def _phase(report: ContactImportReport, name: str) -> None:
    """Record the seconds since the previous phase ended under ``name``."""
    now = time.perf_counter()
    last = getattr(report, "_phase_mark", None)
    if last is not None:
        report.phases[name] = round(report.phases.get(name, 0) + now - last, 2)
    report._phase_mark = now  # type: ignore[attr-defined]


# --- PostgreSQL: COPY into staging, then set-based inserts --------------------------

_STAGING = "import_contact_staging"
_DUPS = "import_contact_dups"
_MATCHES = "import_contact_matches"
_SLOW = "import_contact_slow"
_FOUND = "import_contact_found"


def _import_copy(
    *, customer: Customer, results: Iterator[_ChunkResult], report: ContactImportReport
) -> None:
    contact_table = Contact._meta.db_table
    identifier_table = ContactIdentifier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_LOCK_CLASS, customer.pk])
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # ON COMMIT DROP only drops at the outermost commit; inside a caller's
        # transaction an earlier import's tables may still be there.
        _drop_work_tables(cursor)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [contact_table])
        (sequence,) = cursor.fetchone()
        cursor.execute(
            f"""
            CREATE TEMP TABLE {_STAGING} (
                line integer NOT NULL,
                new_id bigint NOT NULL DEFAULT nextval('{sequence}'),
                first_name text, last_name text, email text, email_key text,
                phone text, phone_ext text, country text, state text, source text, notes text,
                date_of_birth date, is_minor boolean
            ) ON COMMIT DROP
            """
        )
        columns = (
            "line, first_name, last_name, email, email_key, phone, phone_ext, "
            "country, state, source, notes, date_of_birth, is_minor"
        )
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {_STAGING} ({columns}) FROM STDIN") as copy:
            for result in results:
                report.rows += result.rows
                report.row_errors.extend(result.errors)
                copy.write(result.payload)
        cursor.execute(f"ANALYZE {_STAGING}")
        _phase(report, "read_normalise_copy")

        shared = _group_duplicates_pg(cursor)
        _match_existing_pg(
            cursor, customer=customer, identifier_table=identifier_table, report=report
        )
        # Checked whatever else was wrong with the file, so every bad row is reported.
        _name_conflicts_pg(cursor, shared=shared, contact_table=contact_table, report=report)
        if report.row_errors:
            return  # refused: the caller rolls everything back

        cursor.execute(f"SELECT count(*) FROM {_DUPS} WHERE line <> grp")
        report.rows_merged_in_file = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {_MATCHES}")
        report.existing_contacts_matched = cursor.fetchone()[0]
        _phase(report, "group_and_match")

        # New contacts: the first row of every group no existing contact holds.
        cursor.execute(
            f"""
            INSERT INTO {contact_table} (
                id, customer_id, kind, first_name, last_name, email, phone, country, state,
                source, notes, date_of_birth, is_minor, do_not_contact, is_restricted,
                created_at)
            SELECT s.new_id, %s, %s, s.first_name, s.last_name, s.email, s.phone, s.country,
                   s.state, s.source, s.notes, s.date_of_birth, s.is_minor, false, false, %s
            FROM {_STAGING} s
            WHERE NOT EXISTS (SELECT 1 FROM {_DUPS} d WHERE d.line = s.line AND d.grp <> s.line)
              AND NOT EXISTS (SELECT 1 FROM {_MATCHES} m WHERE m.grp = s.line)
            """,
            [customer.pk, Contact.Kind.END_USER, timezone.now()],
        )
        report.contacts_created = cursor.rowcount
        _phase(report, "insert_contacts")

        # The one country rule of both importers: a person's country and state come
        # together from its first row that gives either; a contact that has either keeps
        # them. Only merged people can need it: a new contact of one row already has its
        # row's, and a new group's contact its first row's.
        if report.rows_merged_in_file or report.existing_contacts_matched:
            _merged_locations_pg(cursor, contact_table=contact_table)
        _phase(report, "merge_locations")

        # Rows that share a group or join an existing contact take the slow path below;
        # every other row (the bulk of a file) the fast one.
        cursor.execute(
            f"""
            CREATE TEMP TABLE {_SLOW} ON COMMIT DROP AS
            SELECT s.line, coalesce(m.contact_id, d.target_new_id, s.new_id) AS contact_id,
                   s.email, s.email_key, s.phone, s.phone_ext
            FROM {_STAGING} s
            LEFT JOIN {_DUPS} d ON d.line = s.line
            LEFT JOIN {_MATCHES} m ON m.grp = coalesce(d.grp, s.line)
            WHERE d.line IS NOT NULL OR m.grp IS NOT NULL
            """
        )
        cursor.execute(f"ANALYZE {_SLOW}")

        # Fast path, the bulk of a file: rows alone in their group and new to the
        # customer; both their identifiers are new and primary.
        now = timezone.now()
        cursor.execute(
            f"""
            INSERT INTO {identifier_table} (
                contact_id, customer_id, kind, value, match_key, extension, is_primary, created_at)
            SELECT s.new_id, %(customer)s, u.kind, u.value, u.match_key, u.extension, true, %(now)s
            FROM {_STAGING} s
            CROSS JOIN LATERAL (VALUES ('email', s.email, s.email_key, NULL::text),
                                       ('phone', s.phone, s.phone, s.phone_ext))
                 AS u(kind, value, match_key, extension)
            WHERE u.value IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {_SLOW} w WHERE w.line = s.line)
            -- In index order: the two (kind, match_key) indexes then fill page by page
            -- instead of at random (measured: half the time for 1M rows).
            ORDER BY u.kind, u.match_key
            """,
            {"customer": customer.pk, "now": now},
        )
        report.identifiers_added = cursor.rowcount
        _phase(report, "insert_identifiers_fast")

        # Slow path: rows that share a group or join an existing contact. Identifiers the
        # customer already has are skipped; one of a kind becomes primary only where the
        # contact has none of that kind yet. A contact shows its primary e-mail and
        # phone: where one of them was empty and this import gave the contact a new
        # primary of that kind, the same statement fills it in (only those contacts,
        # so re-importing a file everyone is already in touches no contact row).
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {identifier_table} (
                    contact_id, customer_id, kind, value, match_key, extension, is_primary,
                    created_at)
                SELECT x.contact_id, %(customer)s, x.kind, x.value, x.match_key, x.extension,
                       row_number() OVER (PARTITION BY x.contact_id, x.kind ORDER BY x.line) = 1
                       AND NOT EXISTS (
                           SELECT 1 FROM {identifier_table} p
                           WHERE p.contact_id = x.contact_id AND p.kind = x.kind
                             AND p.is_primary),
                       %(now)s
                FROM (
                    SELECT DISTINCT ON (w.contact_id, u.kind, u.match_key)
                           w.contact_id, w.line, u.kind, u.value, u.match_key, u.extension
                    FROM {_SLOW} w
                    CROSS JOIN LATERAL (VALUES ('email', w.email, w.email_key, NULL::text),
                                               ('phone', w.phone, w.phone, w.phone_ext))
                         AS u(kind, value, match_key, extension)
                    WHERE u.value IS NOT NULL
                      AND NOT EXISTS (
                          SELECT 1 FROM {identifier_table} e
                          WHERE e.customer_id = %(customer)s AND e.kind = u.kind
                            AND e.match_key = u.match_key)
                    ORDER BY w.contact_id, u.kind, u.match_key, w.line
                ) x
                RETURNING contact_id, kind, value, is_primary
            ),
            new_primary AS (
                SELECT contact_id,
                       max(value) FILTER (WHERE kind = 'email') AS email,
                       max(value) FILTER (WHERE kind = 'phone') AS phone
                FROM added WHERE is_primary GROUP BY contact_id
            ),
            filled AS (
                UPDATE {contact_table} c
                SET email = coalesce(c.email, n.email), phone = coalesce(c.phone, n.phone)
                FROM new_primary n
                WHERE c.id = n.contact_id
                  AND ((c.email IS NULL AND n.email IS NOT NULL)
                       OR (c.phone IS NULL AND n.phone IS NOT NULL))
            )
            SELECT count(*) FROM added
            """,
            {"customer": customer.pk, "now": now},
        )
        report.identifiers_added += cursor.fetchone()[0]
        _phase(report, "insert_identifiers_merged")

        # Children's data is never lost to deduplication: a row that says "minor" marks
        # the contact it ends up in, and a birth date fills one the contact lacks.
        cursor.execute(
            f"""
            WITH target AS (
                SELECT coalesce(m.contact_id, d.target_new_id, s.new_id) AS contact_id,
                       s.line, s.date_of_birth, s.is_minor
                FROM {_STAGING} s
                LEFT JOIN {_DUPS} d ON d.line = s.line
                LEFT JOIN {_MATCHES} m ON m.grp = coalesce(d.grp, s.line)
                WHERE s.is_minor OR s.date_of_birth IS NOT NULL
            ),
            per_contact AS (
                SELECT contact_id, bool_or(coalesce(is_minor, false)) AS minor,
                       (array_agg(date_of_birth ORDER BY line)
                          FILTER (WHERE date_of_birth IS NOT NULL))[1] AS birth
                FROM target GROUP BY contact_id
            )
            UPDATE {contact_table} c
            SET is_minor = CASE WHEN p.minor THEN true ELSE c.is_minor END,
                date_of_birth = coalesce(c.date_of_birth, p.birth)
            FROM per_contact p
            WHERE c.id = p.contact_id
              AND ((p.minor AND c.is_minor IS DISTINCT FROM true)
                   OR (c.date_of_birth IS NULL AND p.birth IS NOT NULL))
            """
        )
        _phase(report, "minor_signals")
        _drop_work_tables(cursor)


def _merged_locations_pg(cursor, *, contact_table: str) -> None:
    """Fill merged people's empty country/state from their first row that gives either."""
    cursor.execute(
        f"""
        UPDATE {contact_table} c SET country = x.country, state = x.state
        FROM (
            SELECT DISTINCT ON (coalesce(d.grp, s.line))
                   coalesce(m.contact_id, d.target_new_id) AS contact_id, s.country, s.state
            FROM {_STAGING} s
            LEFT JOIN {_DUPS} d ON d.line = s.line
            LEFT JOIN {_MATCHES} m ON m.grp = coalesce(d.grp, s.line)
            WHERE (d.line IS NOT NULL OR m.grp IS NOT NULL)
              AND (s.country IS NOT NULL OR s.state IS NOT NULL)
            ORDER BY coalesce(d.grp, s.line), s.line
        ) x
        WHERE c.id = x.contact_id AND c.country IS NULL AND c.state IS NULL
        """
    )


def _drop_work_tables(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {_SLOW}, {_FOUND}, {_MATCHES}, {_DUPS}, {_STAGING}")


@dataclass(frozen=True)
class _SharedRow:
    """A row of the file that shares an e-mail or phone with another row."""

    line: int
    group: int  # the first line of its group
    first_name: str | None
    last_name: str | None
    email_key: str | None
    phone: str | None

    def identifier_keys(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (kind, key) for kind, key in (("email", self.email_key), ("phone", self.phone)) if key
        )


def _group_duplicates_pg(cursor) -> list[_SharedRow]:
    """Rows of the file that share an e-mail or a phone become one group, whose first
    row (lowest line) stands for it; every row of such a group (the first one too) gets
    a row in the dups table, and is returned (for the name rule). Only rows sharing
    something are fetched: in a typical file that is a small fraction, so the grouping
    itself is done in Python."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE {_DUPS} (
            line integer PRIMARY KEY, grp integer NOT NULL, target_new_id bigint NOT NULL
        ) ON COMMIT DROP
        """
    )
    cursor.execute(
        f"""
        WITH de AS (SELECT email_key FROM {_STAGING} WHERE email_key IS NOT NULL
                    GROUP BY email_key HAVING count(*) > 1),
             dp AS (SELECT phone FROM {_STAGING} WHERE phone IS NOT NULL
                    GROUP BY phone HAVING count(*) > 1)
        SELECT line, new_id, email_key, phone, first_name, last_name FROM {_STAGING}
        WHERE email_key IN (SELECT email_key FROM de) OR phone IN (SELECT phone FROM dp)
        ORDER BY line
        """
    )
    shared = cursor.fetchall()
    if not shared:
        return []
    groups = _union_find([(line, (("e", ek), ("p", ph))) for line, _, ek, ph, _, _ in shared])
    new_ids = {line: new_id for line, new_id, *_ in shared}
    with cursor.cursor.copy(f"COPY {_DUPS} (line, grp, target_new_id) FROM STDIN") as copy:
        for line, root in groups.items():
            copy.write_row((line, root, new_ids[root]))
    cursor.execute(f"ANALYZE {_DUPS}")
    return [
        _SharedRow(line, groups[line], first, last, email_key, phone)
        for line, _, email_key, phone, first, last in shared
    ]


def _name_conflicts_pg(
    cursor, *, shared: list[_SharedRow], contact_table: str, report: ContactImportReport
) -> None:
    """The name rule (``privacy.services.imports.person_name_conflicts``, as the admin
    import applies it) on the staged file: rows of a group matched to an existing contact
    that has a name are compared with that name (the database picks the candidates,
    Python decides), the other groups with their first named row."""
    by_group: dict[int, list[_SharedRow]] = collections.defaultdict(list)
    for row in shared:
        by_group[row.group].append(row)
    # Keys an existing contact holds, per group (a group matches one contact at most);
    # only the rows sharing something matter here.
    cursor.execute(
        f"SELECT f.grp, f.line, f.kind FROM {_FOUND} f JOIN {_DUPS} d ON d.line = f.line"
    )
    found_rows = cursor.fetchall()
    keys_of_line = {row.line: dict(row.identifier_keys()) for row in shared}
    linked: dict[int, set[tuple[str, str]]] = collections.defaultdict(set)
    found_lines: dict[int, set[str]] = collections.defaultdict(set)
    for grp, line, kind in found_rows:
        found_lines[line].add(kind)
        if line in keys_of_line and kind in keys_of_line[line]:
            linked[grp].add((kind, keys_of_line[line][kind]))

    # Groups matched to a contact with a name: every row of theirs whose name may differ.
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_MATCHES})")
    if not cursor.fetchone()[0]:
        candidates = []
    else:
        cursor.execute(
            f"""
            SELECT s.line, coalesce(d.grp, s.line), s.first_name, s.last_name, s.email_key,
                   s.phone, c.id, c.first_name, c.last_name
            FROM {_STAGING} s
            LEFT JOIN {_DUPS} d ON d.line = s.line
            JOIN {_MATCHES} m ON m.grp = coalesce(d.grp, s.line)
            JOIN {contact_table} c ON c.id = m.contact_id
            WHERE (coalesce(c.first_name, '') <> '' OR coalesce(c.last_name, '') <> '')
              AND ((s.first_name IS NOT NULL AND coalesce(c.first_name, '') <> ''
                    AND lower(s.first_name) <> lower(c.first_name))
                   OR (s.last_name IS NOT NULL AND coalesce(c.last_name, '') <> ''
                       AND lower(s.last_name) <> lower(c.last_name)))
            ORDER BY s.line
            """
        )
        candidates = cursor.fetchall()
    if candidates:
        # Which kind of identifier tied each candidate row to its contact (single-row
        # groups are not in the dups table, so not in found_rows above).
        cursor.execute(
            f"SELECT line, kind FROM {_FOUND} WHERE line = ANY(%s)",
            [[row[0] for row in candidates]],
        )
        for line, kind in cursor.fetchall():
            found_lines[line].add(kind)
    for line, grp, first, last, email_key, phone, contact_id, c_first, c_last in candidates:
        keys = tuple((k, v) for k, v in (("email", email_key), ("phone", phone)) if v)
        group_keys = [key for row in by_group.get(grp, ()) for key in row.identifier_keys()]
        row_linked = {(k, v) for k, v in keys if k in found_lines[line]}
        row_linked |= {key for key in keys if group_keys.count(key) > 1}
        conflicts, _ = person_name_conflicts(
            [PersonRow(f"line {line}", name_key(first, last), keys)],
            reference=NameReference(name_key(c_first, c_last), contact_id=contact_id),
            linked_keys=row_linked,
        )
        report.row_errors.extend(RowError(line, message) for _, message in conflicts)

    # Groups of the file not matched to a named contact: their first named row decides.
    cursor.execute(
        f"""
        SELECT m.grp FROM {_MATCHES} m JOIN {contact_table} c ON c.id = m.contact_id
        WHERE m.grp IN (SELECT grp FROM {_DUPS})
          AND (coalesce(c.first_name, '') <> '' OR coalesce(c.last_name, '') <> '')
        """
    )
    named = {grp for (grp,) in cursor.fetchall()}
    for grp, rows in by_group.items():
        if grp in named:
            continue
        conflicts, _ = person_name_conflicts(
            [
                PersonRow(
                    f"line {r.line}", name_key(r.first_name, r.last_name), r.identifier_keys()
                )
                for r in rows
            ],
            linked_keys=linked.get(grp, set()),
        )
        report.row_errors.extend(RowError(rows[i].line, message) for i, message in conflicts)


def _union_find(rows: Iterable[tuple[int, Iterable[tuple[str, str | None]]]]) -> dict[int, int]:
    """{line: first line of its group} for rows linked by any shared key."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[tuple[str, str], int] = {}
    for line, keys in rows:
        parent.setdefault(line, line)
        for key in keys:
            if key[1] is None:
                continue
            if key in owner:
                a, b = find(owner[key]), find(line)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                owner[key] = line
    return {line: find(line) for line in parent}


def _match_existing_pg(cursor, *, customer: Customer, identifier_table: str, report) -> None:
    """Groups whose identifiers an existing contact of the customer already holds. The
    found table keeps which row's which kind of identifier matched (for the name rule's
    messages)."""
    cursor.execute(
        f"CREATE TEMP TABLE {_MATCHES} (grp integer PRIMARY KEY, contact_id bigint NOT NULL) "
        "ON COMMIT DROP"
    )
    cursor.execute(
        f"CREATE TEMP TABLE {_FOUND} (grp integer NOT NULL, contact_id bigint NOT NULL, "
        "line integer NOT NULL, kind text NOT NULL) ON COMMIT DROP"
    )
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {identifier_table} WHERE customer_id = %s)", [customer.pk]
    )
    if not cursor.fetchone()[0]:
        return  # a customer's first import: nothing to match against
    # Two equi-joins (hash joins on big files), not one join on "email OR phone".
    cursor.execute(
        f"""
        INSERT INTO {_FOUND} (grp, contact_id, line, kind)
        SELECT coalesce(d.grp, s.line), ci.contact_id, s.line, 'email'
        FROM {_STAGING} s LEFT JOIN {_DUPS} d ON d.line = s.line
        JOIN {identifier_table} ci
          ON ci.customer_id = %(customer)s AND ci.kind = 'email' AND ci.match_key = s.email_key
        UNION ALL
        SELECT coalesce(d.grp, s.line), ci.contact_id, s.line, 'phone'
        FROM {_STAGING} s LEFT JOIN {_DUPS} d ON d.line = s.line
        JOIN {identifier_table} ci
          ON ci.customer_id = %(customer)s AND ci.kind = 'phone' AND ci.match_key = s.phone
        """,
        {"customer": customer.pk},
    )
    cursor.execute(f"ANALYZE {_FOUND}")
    cursor.execute(f"SELECT grp FROM {_FOUND} GROUP BY grp HAVING count(DISTINCT contact_id) > 1")
    conflicts = [grp for (grp,) in cursor.fetchall()]
    if conflicts:
        cursor.execute(
            f"""
            SELECT s.line FROM {_STAGING} s LEFT JOIN {_DUPS} d ON d.line = s.line
            WHERE coalesce(d.grp, s.line) = ANY(%s)
            """,
            [conflicts],
        )
        report.row_errors.extend(
            RowError(line, TWO_EXISTING_REASON) for (line,) in cursor.fetchall()
        )
    # Groups matching two contacts are refused above; the others still get the name rule.
    cursor.execute(
        f"INSERT INTO {_MATCHES} (grp, contact_id) "
        f"SELECT grp, min(contact_id) FROM {_FOUND} GROUP BY grp "
        "HAVING count(DISTINCT contact_id) = 1"
    )
    cursor.execute(f"ANALYZE {_MATCHES}")


# --- Any database: the ORM in batches ------------------------------------------------


def contacts_import_rows_orm(
    *,
    customer: Customer,
    results: Iterable[_ChunkResult],
    report: ContactImportReport,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> None:
    """The portable path (SQLite): each chunk of normalised rows is grouped, matched
    against the customer's contacts (which include those created from earlier chunks
    of this file, as it all runs in one transaction) and written with ``bulk_create``.

    Call it inside a transaction; rows with errors are collected in ``report``."""
    # Contacts created from this file so far, with the row whose name the person's later
    # rows must agree with (None until a row of the person gives a name).
    created_refs: dict[int, NameReference | None] = {}
    matched_ids: set[int] = set()
    for result in results:
        report.rows += result.rows
        report.row_errors.extend(result.errors)
        rows: list[NormalisedRow] = result.payload  # type: ignore[assignment]
        if rows:
            _orm_write_chunk(
                customer=customer,
                rows=rows,
                report=report,
                created_refs=created_refs,
                matched_ids=matched_ids,
                batch_size=batch_size,
            )
    report.existing_contacts_matched = len(matched_ids)


def _row_keys(row: NormalisedRow) -> list[tuple[str, str]]:
    keys = []
    if row.email_key:
        keys.append(("email", row.email_key))
    if row.phone:
        keys.append(("phone", row.phone))
    return keys


def _person_rows(rows: Sequence[NormalisedRow]) -> list[PersonRow]:
    return [
        PersonRow(
            where=f"line {row.line}",
            name=name_key(row.first_name, row.last_name),
            keys=tuple(_row_keys(row)),
        )
        for row in rows
    ]


def _location_row(rows: Sequence[NormalisedRow]) -> NormalisedRow | None:
    """The one country rule of both importers: a person's country and state come
    together from the first of its rows (in file order) that gives either."""
    return next((row for row in rows if row.country or row.state), None)


def _orm_write_chunk(
    *,
    customer: Customer,
    rows: list[NormalisedRow],
    report: ContactImportReport,
    created_refs: dict[int, NameReference | None],
    matched_ids: set[int],
    batch_size: int,
) -> None:
    groups = _union_find((row.line, _row_keys(row)) for row in rows)
    members: dict[int, list[NormalisedRow]] = collections.defaultdict(list)
    for row in rows:
        members[groups[row.line]].append(row)

    # Who already holds these identifiers (existing contacts, or contacts created from
    # earlier chunks of this file).
    owners = existing_identifier_owners(customer, [key for row in rows for key in _row_keys(row)])

    # Every chunk is checked and written even once a row was refused (the transaction
    # is rolled back in the end): later chunks meet the people of earlier ones in the
    # database, so every bad row is reported, as on the COPY path.
    targets: dict[int, int] = {}  # group root -> existing contact id
    for root, group in list(members.items()):
        found = {owners[key] for row in group for key in _row_keys(row) if key in owners}
        if len(found) > 1:
            report.row_errors.extend(RowError(row.line, TWO_EXISTING_REASON) for row in group)
            del members[root]  # a person cannot be merged into two: not written
        elif found:
            targets[root] = found.pop()

    # The name rule (shared with the admin import): rows of one person, and the contact
    # they join, must not carry different names.
    target_info = {
        pk: (first, last, country, state)
        for pk, first, last, country, state in Contact.objects.filter(
            pk__in=set(targets.values())
        ).values_list("pk", "first_name", "last_name", "country", "state")
    }
    new_refs: dict[int, NameReference | None] = {}
    for root, group in members.items():
        target = targets.get(root)
        linked = {key for row in group for key in _row_keys(row) if key in owners}
        if target is None and len(group) < 2:
            row = group[0]
            name = name_key(row.first_name, row.last_name)
            new_refs[root] = NameReference(name, f"line {row.line}") if any(name) else None
            continue
        if target is None:
            reference = None
        elif target in created_refs:
            reference = created_refs[target]
        else:
            first, last = target_info.get(target, (None, None, None, None))[:2]
            reference = (
                NameReference(name_key(first, last), contact_id=target) if first or last else None
            )
        conflicts, reference = person_name_conflicts(
            _person_rows(group), reference=reference, linked_keys=linked
        )
        report.row_errors.extend(RowError(group[i].line, message) for i, message in conflicts)
        if target is None:
            new_refs[root] = reference
        elif target in created_refs and created_refs[target] is None:
            created_refs[target] = reference

    now = timezone.now()
    new_roots = [root for root in members if root not in targets]
    new_contacts = []
    for root in new_roots:
        first = members[root][0]
        location = _location_row(members[root])
        new_contacts.append(
            Contact(
                customer=customer,
                kind=Contact.Kind.END_USER,
                first_name=first.first_name,
                last_name=first.last_name,
                email=next((r.email for r in members[root] if r.email), None),
                phone=next((r.phone for r in members[root] if r.phone), None),
                country=location.country if location else None,
                state=location.state if location else None,
                source=first.source,
                notes=first.notes,
                date_of_birth=next(
                    (r.date_of_birth for r in members[root] if r.date_of_birth), None
                ),
                is_minor=True if any(r.is_minor for r in members[root]) else first.is_minor,
                created_at=now,
            )
        )
    Contact.objects.bulk_create(new_contacts, batch_size=batch_size)
    contact_of: dict[int, int] = dict(targets)
    for root, contact in zip(new_roots, new_contacts, strict=True):
        contact_of[root] = contact.pk
        created_refs[contact.pk] = new_refs.get(root)
    report.contacts_created += len(new_contacts)
    report.rows_merged_in_file += sum(len(group) for group in members.values()) - len(members)
    for root, target in targets.items():
        if target in created_refs:  # a person met in an earlier chunk of this file
            report.rows_merged_in_file += len(members[root])
        else:
            matched_ids.add(target)
        # A contact without a country or state gets the person's first one; one that has
        # either keeps it (a file cannot tell which of two is current).
        _first, _last, country, state = target_info.get(target, (None, None, None, None))
        location = _location_row(members[root])
        if location is not None and country is None and state is None:
            Contact.objects.filter(pk=target, country__isnull=True, state__isnull=True).update(
                country=location.country, state=location.state
            )

    existing_targets = set(targets.values())
    has_primary = set(
        ContactIdentifier.objects.filter(contact_id__in=existing_targets, is_primary=True)
        .values_list("contact_id", "kind")
        .distinct()
    )
    identifiers: list[ContactIdentifier] = []
    seen: set[tuple[str, str]] = set(owners)
    fill: dict[tuple[int, str], str] = {}
    for root, group in members.items():
        contact_id = contact_of[root]
        for row in group:
            for kind, value, key, extension in (
                ("email", row.email, row.email_key, None),
                ("phone", row.phone, row.phone, row.phone_ext),
            ):
                if value is None or (kind, key) in seen:
                    continue
                seen.add((kind, key))
                primary = (contact_id, kind) not in has_primary
                has_primary.add((contact_id, kind))
                if primary and contact_id in existing_targets:
                    fill[(contact_id, kind)] = value
                identifiers.append(
                    ContactIdentifier(
                        contact_id=contact_id,
                        customer=customer,
                        kind=kind,
                        value=value,
                        match_key=key,
                        extension=extension,
                        is_primary=primary,
                        created_at=now,
                    )
                )
    ContactIdentifier.objects.bulk_create(identifiers, batch_size=batch_size)
    report.identifiers_added += len(identifiers)
    for (contact_id, kind), value in fill.items():
        Contact.objects.filter(pk=contact_id, **{f"{kind}__isnull": True}).update(**{kind: value})
    # Children's data is never lost to deduplication (see the module docstring).
    for root, target in targets.items():
        group = members[root]
        if any(r.is_minor for r in group):
            Contact.objects.filter(pk=target).exclude(is_minor=True).update(is_minor=True)
        birth = next((r.date_of_birth for r in group if r.date_of_birth), None)
        if birth:
            Contact.objects.filter(pk=target, date_of_birth__isnull=True).update(
                date_of_birth=birth
            )


def normalised_results_for_rows(
    records: Iterable[tuple[int, list[str]]], *, region: str, header: Sequence[str] = BASE_COLUMNS
) -> Iterator[_ChunkResult]:
    """Normalise in-memory records (line, fields) for ``contacts_import_rows_orm``."""
    yield _normalise_chunk(list(records), _read_layout(list(header)), region, False)


__all__ = [
    "COLUMNS",
    "ContactImportRefused",
    "ContactImportReport",
    "RowError",
    "contacts_import_csv",
    "contacts_import_rows_orm",
    "normalised_results_for_rows",
]
