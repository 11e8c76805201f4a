"""django-import-export resources of the privacy app: customers, contacts, interactions.

``ContactResource`` is the fast one: it reads the whole file once before writing
(``privacy.services.imports.ContactImportPlan``: identifiers normalised, people
deduplicated against the database and within the file, in a few batched queries),
then lets the library walk the rows with ``use_bulk`` and no diff, and writes the
identifier rows in bulk once their contacts exist. It works standalone::

    ContactResource(customer=customer).import_data(dataset, dry_run=False, use_transactions=True)

Every import here refuses the whole file when any row is bad (nothing is saved) and
reports each bad row with the physical line of the file it starts on (quoted
multi-line cells counted), via the ``LineNumbered*`` formats, or as "row N" when the
dataset did not come from a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import Result

from privacy.identifiers import parse_phone
from privacy.models import Contact, Customer, Interaction
from privacy.services.bulk_import import COLUMNS, parse_minor_cells
from privacy.services.contacts import contacts_last_interaction_refresh
from privacy.services.imports import (
    ContactImportPlan,
    ImportIdentifier,
    contacts_import_record,
    identifiers_bulk_create,
)
from privacy.spreadsheets import neutralised_dataset

# --- formats that remember where each row starts in the file -------------------------


def _blank(values: Any) -> bool:
    return all(value is None or str(value).strip() == "" for value in values)


def _fit(values: list[Any], width: int) -> tuple[list[Any], bool]:
    """Pad or cut a record to the header's width; says whether it had extra cells."""
    extra = len(values) > width and not _blank(values[width:])
    return (values + [""] * (width - len(values)))[:width], extra


class LineNumberedCSV(base_formats.CSV):
    """CSV that records, per data row, the physical line it starts on (a quoted cell
    spanning lines counts every line). Blank lines are skipped."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        reader = csv.reader(io.StringIO(in_stream.lstrip("\ufeff"), newline=""))
        dataset = tablib.Dataset()
        lines: list[int] = []
        overlong: set[int] = set()
        width = 0
        previous_end = 0
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if _blank(record):
                continue
            if not width:
                dataset.headers = [cell.strip() for cell in record]
                width = len(record)
                continue
            values, extra = _fit(record, width)
            if extra:
                overlong.add(len(lines))
            dataset.append(values)
            lines.append(start)
        dataset.source_lines = lines
        dataset.overlong_rows = overlong
        return dataset


class LineNumberedXLSX(base_formats.XLSX):
    """XLSX (first sheet) that records the sheet row number of each data row."""

    def create_dataset(self, in_stream):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            dataset = tablib.Dataset()
            lines: list[int] = []
            overlong: set[int] = set()
            width = 0
            for number, row in enumerate(book.active.iter_rows(values_only=True), 1):
                if _blank(row):
                    continue
                if not width:
                    dataset.headers = ["" if v is None else str(v).strip() for v in row]
                    width = len(row)
                    continue
                values, extra = _fit(list(row), width)
                if extra:
                    overlong.add(len(lines))
                dataset.append(values)
                lines.append(number)
        finally:
            book.close()
        dataset.source_lines = lines
        dataset.overlong_rows = overlong
        return dataset


# XLSX needs openpyxl (tablib[xlsx]); offered only where it is installed.
try:
    import openpyxl  # noqa: F401

    _XLSX = True
except ImportError:  # pragma: no cover - depends on the installation
    _XLSX = False


class FormulaSafeCSV(base_formats.CSV):
    """CSV export whose text cells can't run as spreadsheet formulas (privacy.spreadsheets)."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(neutralised_dataset(dataset), **kwargs)


class FormulaSafeXLSX(base_formats.XLSX):
    """XLSX export, the same: openpyxl would store a text starting with "=" as a formula."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(neutralised_dataset(dataset), **kwargs)


IMPORT_FORMATS = [LineNumberedCSV, *([LineNumberedXLSX] if _XLSX else [])]
EXPORT_FORMATS = [FormulaSafeCSV, *([FormulaSafeXLSX] if _XLSX else [])]

OVERLONG = "Has more cells than the header row (check the quoting of a cell with a comma)."


def row_location(lines: list[int] | None, number: int) -> str:
    """'line N' of the file when known, else 'row N' (data rows, from 1)."""
    if lines and 0 < number <= len(lines):
        return f"line {lines[number - 1]}"
    return f"row {number}"


def import_problems(result: Result) -> list[str]:
    """One line per bad row: where it is and why, e.g. 'line 107: phone: Not a valid
    phone number.' Messages never repeat the cell's value."""
    problems = []
    for row in result.invalid_rows:
        reasons = []
        for field_name, messages in row.error_dict.items():
            prefix = "" if field_name == "__all__" else f"{field_name}: "
            reasons.extend(f"{prefix}{message}" for message in messages)
        problems.append(f"{getattr(row, 'location', f'row {row.number}')}: {' '.join(reasons)}")
    for row in result.error_rows:
        for error in row.errors:
            problems.append(f"row {row.number}: {type(error.error).__name__}")
    return problems


class RefuseBadFilesMixin:
    """Shared by every resource here: the whole import is rolled back when any row is
    invalid, and each invalid row learns its line in the file (``row.location``)."""

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):  # fmt: skip
        kwargs["rollback_on_validation_errors"] = True
        self._dry_run = dry_run
        self._source_lines = getattr(dataset, "source_lines", None)
        self._overlong_rows = getattr(dataset, "overlong_rows", set())
        result = super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            **kwargs,
        )
        for row in result.invalid_rows:
            row.location = row_location(self._source_lines, row.number)
        result.problems = import_problems(result)
        return result

    def before_import_row(self, row, **kwargs):
        number = kwargs.get("row_number")
        if number is not None and (number - 1) in getattr(self, "_overlong_rows", ()):
            raise ValidationError({"__all__": [OVERLONG]})
        super().before_import_row(row, **kwargs)

    def _finished_cleanly(self, result: Result) -> bool:
        return not (result.has_errors() or result.has_validation_errors())


# --- customers --------------------------------------------------------------------------


class CustomerResource(RefuseBadFilesMixin, resources.ModelResource):
    """Customers by slug: a row with a known slug updates that customer."""

    class Meta:
        model = Customer
        fields = (
            "name",
            "slug",
            "status",
            "contract_ended_on",
            "last_activity_at",
            "privacy_contact_email",
            "default_phone_region",
        )
        import_id_fields = ("slug",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, **kwargs):
        super().__init__()

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.default_phone_region:
            instance.default_phone_region = instance.default_phone_region.upper()

    def after_import(self, dataset, result, **kwargs):
        if not self._dry_run and self._finished_cleanly(result):
            contacts_import_record(
                actor=kwargs.get("user"), object_type="customer", customer_id=None, totals=result.totals
            )  # fmt: skip


# --- contacts ---------------------------------------------------------------------------

#: The columns of a contacts file: the same for both importers (``import_contacts`` reads
#: them in ``privacy.services.bulk_import``), so a file one accepts the other reads alike.
CONTACT_IMPORT_COLUMNS = COLUMNS

_PLAIN_COLUMNS = ("first_name", "last_name", "country", "state", "source", "notes")
_MAX_LENGTH = {name: Contact._meta.get_field(name).max_length for name in _PLAIN_COLUMNS}


class ContactResource(RefuseBadFilesMixin, resources.ModelResource):
    """Import of one customer's contacts (columns: CONTACT_IMPORT_COLUMNS).

    A row whose e-mail or phone the customer's contact already has updates that
    contact (non-empty cells overwrite, empty cells keep what is there; country and
    state only fill a contact that has neither) and adds its new identifiers; rows of
    one person within the file become one contact. Rows of one person with different
    names are refused (``privacy.services.imports.person_name_conflicts``, the rule
    ``import_contacts`` applies too)."""

    class Meta:
        model = Contact
        fields = CONTACT_IMPORT_COLUMNS
        import_order = CONTACT_IMPORT_COLUMNS
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        skip_html_diff = True
        store_row_values = False
        report_skipped = True

    def __init__(self, customer: Customer | None = None, **kwargs):
        super().__init__()
        self.customer = customer
        self._plan: ContactImportPlan | None = None

    # -- reading the whole file first --

    def before_import(self, dataset, **kwargs):
        headers = dataset.headers or ()
        columns = [
            dataset[name] if name in headers else [None] * len(dataset)
            for name in ("email", "phone", "first_name", "last_name")
        ]
        self._plan = ContactImportPlan.build(
            customer=self.customer,
            values=list(zip(*columns, strict=True)),
            describe_row=lambda index: row_location(self._source_lines, index + 1),
        )
        # Nothing is written when any row is bad: the transaction is rolled back anyway,
        # so don't spend the time.
        self._refused = self._plan.invalid_count > 0
        self._group_instances: dict[int, Contact] = {}
        self._seen_groups: dict[int, int] = {}
        self._claimed: set[tuple[str, str]] = set()
        self._pending_identifiers: list[tuple[Contact, ImportIdentifier, bool]] = []
        self._queued_create: set[int] = set()
        self._queued_update: set[int] = set()
        self._identifiers_added = 0

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        self._row = self._plan.rows[kwargs["row_number"] - 1]
        if self._row.errors:
            raise ValidationError(self._row.errors)

    def get_or_init_instance(self, instance_loader, row):
        group = self._row.group
        instance = self._group_instances.get(group)
        new = False
        if instance is None:
            existing_id = self._plan.existing.get(group)
            if existing_id is not None:
                instance = self._plan.contacts[existing_id]
            else:
                instance = Contact(customer=self.customer, kind=Contact.Kind.END_USER)
                new = True
        # Keep the instance only while more rows of the same person are to come.
        seen = self._seen_groups.get(group, 0) + 1
        if seen < self._plan.group_sizes[group]:
            self._seen_groups[group] = seen
            self._group_instances[group] = instance
        else:
            self._seen_groups.pop(group, None)
            self._group_instances.pop(group, None)
        return instance, new

    # -- one row --

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        location: dict[str, str] = {}
        for name in _PLAIN_COLUMNS:
            value = row.get(name)
            if value is None:
                continue
            value = str(value).strip()
            if not value:
                continue  # an empty cell keeps what the contact already has
            if name in ("country", "state"):
                value = value.upper()
                if name == "country" and not (len(value) == 2 and value.isalpha()):
                    errors[name] = ["Use the two-letter ISO country code (e.g. US, GB)."]
                    continue
            if _MAX_LENGTH[name] and len(value) > _MAX_LENGTH[name]:
                errors[name] = [f"Longer than {_MAX_LENGTH[name]} characters."]
                continue
            if name in ("country", "state"):
                location[name] = value
            else:
                setattr(instance, name, value)
        self._import_minor_cells(instance, row, errors)
        if errors:
            raise ValidationError(errors)
        # The one country rule of both importers: country and state come together from
        # the person's first row that gives either; a contact that has either keeps them
        # (a file cannot tell which of two is current; staff correct it by hand).
        if location and not instance.country and not instance.state:
            instance.country = location.get("country")
            instance.state = location.get("state")
        for identifier in self._row.identifiers:
            key = (identifier.kind, identifier.match_key)
            if key in self._claimed or key in self._plan.owners:
                continue  # already this person's (in the database or from an earlier row)
            self._claimed.add(key)
            is_primary = getattr(instance, identifier.kind) is None
            if is_primary:
                setattr(instance, identifier.kind, identifier.value)
            self._pending_identifiers.append((instance, identifier, is_primary))

    @staticmethod
    def _import_minor_cells(instance: Contact, row, errors: dict[str, list[str]]) -> None:
        """Children's data: a birth date (YYYY-MM-DD; a spreadsheet date as is) and a
        yes/no minor flag. An empty cell keeps what the contact has; "true" is never
        undone by a later row of the same person (the nightly job queues minors)."""
        birth = row.get("date_of_birth")
        if isinstance(birth, dt.datetime):
            birth = birth.date()
        if isinstance(birth, dt.date):
            birth = birth.isoformat()
        minor = row.get("is_minor")
        if isinstance(minor, bool):
            minor = "true" if minor else "false"
        problems: list[str] = []
        date_of_birth, is_minor = parse_minor_cells(
            str(birth).strip() if birth not in (None, "") else None,
            str(minor).strip() if minor not in (None, "") else None,
            problems,
        )
        for problem in problems:
            name = "date_of_birth" if problem.startswith("date_of_birth") else "is_minor"
            errors.setdefault(name, []).append(problem[0].upper() + problem[1:] + ".")
        if date_of_birth:
            instance.date_of_birth = dt.date.fromisoformat(date_of_birth)
        if is_minor is not None and instance.is_minor is not True:
            instance.is_minor = is_minor

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._refused:
            return
        if instance.pk is None:
            if id(instance) not in self._queued_create:
                self._queued_create.add(id(instance))
                self.create_instances.append(instance)
        elif id(instance) not in self._queued_update:
            self._queued_update.add(id(instance))
            self.update_instances.append(instance)

    # -- writing in batches --

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):  # fmt: skip
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
        self._queued_create.clear()
        self._write_identifiers(result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):  # fmt: skip
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)
        self._queued_update.clear()

    def _write_identifiers(self, result, raise_errors) -> None:
        if self._refused:
            self._pending_identifiers.clear()
            return
        ready = [p for p in self._pending_identifiers if p[0].pk is not None]
        if not ready:
            return
        self._pending_identifiers = [p for p in self._pending_identifiers if p[0].pk is None]
        try:
            with transaction.atomic(using=self.get_db_connection_name()):
                self._identifiers_added += identifiers_bulk_create(ready)
        except Exception as exc:
            self.handle_import_error(result, exc, raise_errors)

    def after_import(self, dataset, result, **kwargs):
        # Identifiers whose contacts were saved in the final flush.
        self._write_identifiers(result, kwargs.get("raise_errors", False))
        if not self._dry_run and not self._refused and self._finished_cleanly(result):
            contacts_import_record(
                actor=kwargs.get("user"),
                object_type="contact",
                customer_id=self.customer.pk if self.customer else None,
                totals=result.totals,
                identifiers_added=self._identifiers_added,
            )
        self._plan = None  # free the memory before the result goes to the template

    def get_bulk_update_fields(self):
        return list(CONTACT_IMPORT_COLUMNS)


def contact_export_columns() -> tuple[str, ...]:
    """Every column of a contact the model declares (what staff edit, what erasure
    empties, what it keeps and why: ``Contact.EDITABLE_FIELDS`` / ``ERASED_FIELDS`` /
    ``KEPT_FIELDS``), in the table's order, after the id and the customer. A column
    added to those lists is exported without touching this file."""
    declared = {*Contact.EDITABLE_FIELDS, *Contact.ERASED_FIELDS, *Contact.KEPT_FIELDS}
    return (
        "id",
        "customer",
        *(field.name for field in Contact._meta.concrete_fields if field.name in declared),
    )


class ContactExportResource(resources.ModelResource):
    """Contacts as a file: every column the model declares (``contact_export_columns``;
    the import's columns among them), with the customer by its slug."""

    customer = fields.Field(attribute="customer__slug", column_name="customer", readonly=True)

    class Meta:
        model = Contact
        fields = contact_export_columns()
        export_order = fields
        chunk_size = 2000

    def __init__(self, **kwargs):
        super().__init__()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("customer")


# --- interactions -----------------------------------------------------------------------

_INTERACTION_TEXT = ("body", "recording_ref", "user_agent")


class InteractionResource(RefuseBadFilesMixin, resources.ModelResource):
    """Interactions, appended to existing contacts (column ``contact`` = contact id).

    Rows always create new interactions (they are an event log; no row updates
    another). Phone numbers are normalised with the contact's customer's region."""

    contact = fields.Field(attribute="contact_id", column_name="contact", widget=widgets.IntegerWidget())  # fmt: skip

    class Meta:
        model = Interaction
        fields = (
            "id",
            "contact",
            "channel",
            "direction",
            "occurred_at",
            "from_number",
            "to_number",
            "duration_seconds",
            "body",
            "recording_ref",
            "ip_address",
            "user_agent",
        )
        export_order = fields
        use_bulk = True
        batch_size = 2000
        skip_diff = True
        force_init_instance = True
        chunk_size = 2000

    def __init__(self, **kwargs):
        super().__init__()

    def get_import_fields(self):
        return [f for f in super().get_import_fields() if f.attribute != "id"]

    def before_import(self, dataset, **kwargs):
        ids = set()
        for value in dataset["contact"] if "contact" in (dataset.headers or ()) else ():
            text = "" if value is None else str(value).strip().removesuffix(".0")
            if text.isdigit():
                ids.add(int(text))
        ordered = sorted(ids)
        self._contacts: dict[int, tuple[int | None, str, bool]] = {}
        for start in range(0, len(ordered), 5000):
            for pk, customer_id, region, erased_at in Contact.objects.filter(
                pk__in=ordered[start : start + 5000]
            ).values_list("pk", "customer_id", "customer__default_phone_region", "erased_at"):
                self._contacts[pk] = (customer_id, region or "US", erased_at is not None)

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        info = self._contacts.get(instance.contact_id) if instance.contact_id else None
        if info is None:
            errors.setdefault("contact", []).append("No contact with this id.")
        elif info[2]:
            errors.setdefault("contact", []).append("This contact has been erased.")
        else:
            instance.customer_id = info[0]
        if instance.channel not in Interaction.Channel.values:
            errors["channel"] = [f"Use one of: {', '.join(Interaction.Channel.values)}."]
        if instance.direction not in Interaction.Direction.values:
            errors["direction"] = [f"Use one of: {', '.join(Interaction.Direction.values)}."]
        if instance.occurred_at is None:
            errors.setdefault("occurred_at", []).append("Needs the date and time it happened.")
        region = info[1] if info else "US"
        for name in ("from_number", "to_number"):
            raw = getattr(instance, name)
            if raw:
                try:
                    setattr(instance, name, parse_phone(raw, default_region=region).e164)
                except ValidationError as exc:
                    errors[name] = list(exc.messages)
            else:
                setattr(instance, name, None)
        if instance.ip_address:
            try:
                validate_ipv46_address(instance.ip_address)
            except ValidationError:
                errors["ip_address"] = ["Not a valid IP address."]
        else:
            instance.ip_address = None
        for name in _INTERACTION_TEXT:
            if getattr(instance, name) == "":
                setattr(instance, name, None)
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs):
        if not self._dry_run and self._finished_cleanly(result):
            # Retention counts from a contact's last interaction: bring it up to date.
            contacts_last_interaction_refresh(contact_ids=self._contacts)
            contacts_import_record(
                actor=kwargs.get("user"), object_type="interaction", customer_id=None, totals=result.totals
            )  # fmt: skip
