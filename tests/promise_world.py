"""What ``tests/test_promise_machine.py`` observes of the system after each step and the
promises it checks there (docs/promise-machine.md): the consent check against the model,
what went out, open requests, the erasure scan, the audit trail and the outbox."""

from __future__ import annotations

import io
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core import mail
from django.core.management import CommandError, call_command
from django.db.models import Q

from consent import selectors as consent_selectors
from consent import sms as consent_sms
from consent.models import ConsentEvent, SmsSubscription
from privacy.models import AuditEvent, Contact, ContactIdentifier, Customer, OutboxTask, Suppression
from privacy.tests.test_erasure_scan import scan_database
from requests_app.models import OPEN_STATUSES, PrivacyRequest, RequestMatch, Status

try:  # the requests app's own SMS sender, until its texts go through the consent gateway
    from requests_app.sms import LocmemSmsSender
except ImportError:  # pragma: no cover - after that change
    LocmemSmsSender = None
from tests.promise_model import OUR_NUMBER, PEOPLE, SENDERS, Model

VERIFY_LINK = re.compile(r"http://testserver(/privacy/verify/[A-Za-z0-9_\-:]+/)")
CODE = re.compile(r"\b(\d{6})\b")
#: What happened over a run (``PROMISE_MACHINE_STATS=1`` prints it): is every path reached?
STATS: Counter[str] = Counter()
# The audit actions that record the creation of contacts.
CONTACT_CREATED = {"contact.created", "contact.bulk_imported", "contact.imported"}


def outboxes() -> list[list]:
    """Every in-memory outbox of the test settings: texts, the requests app's texts, mail."""
    legacy = [LocmemSmsSender.outbox] if LocmemSmsSender else []
    return [consent_sms.outbox, *legacy, mail.outbox]


@dataclass
class Snapshot:
    statuses: dict[int, str]
    contacts: set[int]
    erased: set[int]
    lifted: set[int]
    suppressions: set[int]
    last_consent_event: int
    last_audit: int
    unsent: set[int]
    outbox_rows: set[int]
    named: dict[int, tuple[str, str]]  # live contacts' names: what an erasure must remove


def _last_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@dataclass
class World:
    model: Model
    customer: Customer
    verify_links: dict[str, str] = field(default_factory=dict)
    sms_codes: dict[str, str] = field(default_factory=dict)
    before: Snapshot | None = None
    _seen: dict[str, int] = field(default_factory=lambda: {"gateway": 0, "sms": 0, "mail": 0})

    # --- observing -------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        self.before = Snapshot(
            statuses=dict(PrivacyRequest.objects.values_list("pk", "status")),
            contacts=set(Contact.objects.values_list("pk", flat=True)),
            erased=set(
                Contact.objects.filter(erased_at__isnull=False).values_list("pk", flat=True)
            ),
            lifted=set(
                Suppression.objects.filter(lifted_at__isnull=False).values_list("pk", flat=True)
            ),
            suppressions=set(Suppression.objects.values_list("pk", flat=True)),
            last_consent_event=_last_id(ConsentEvent),
            last_audit=_last_id(AuditEvent),
            unsent=set(
                OutboxTask.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)
            ),
            outbox_rows=set(OutboxTask.objects.values_list("pk", flat=True)),
            named={
                pk: (first, last)
                for pk, first, last in Contact.objects.filter(erased_at__isnull=True)
                .exclude(first_name="")
                .values_list("pk", "first_name", "last_name")
            },
        )
        return self.before

    def observe_holders(self) -> list[int]:
        """Erasures since the last look go into the model first (they suppress), then
        who holds each identifier now. Returns the contacts newly erased."""
        newly_erased = sorted(
            set(Contact.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
            - self.before.erased
        )
        for contact_id in newly_erased:
            self.model.erased(contact_id)
        holders = dict(
            ContactIdentifier.objects.filter(
                customer=self.customer,
                match_key__in=list(self.model.identifiers),
                contact__erased_at__isnull=True,
            ).values_list("match_key", "contact_id")
        )
        for key in self.model.identifiers:
            holder = holders.get(key)
            self.model.holder_seen(key, holder)
        return newly_erased

    def waiting_for_verification(self) -> list[PrivacyRequest]:
        return list(
            PrivacyRequest.objects.filter(status=Status.AWAITING_VERIFICATION).order_by("pk")
        )

    def read_outboxes(self, *, advance: bool = True) -> tuple[list, list[dict], list]:
        """What was sent since the last check (``advance``: and mark it checked), and the
        verification links and codes in it."""
        gateway = consent_sms.outbox[self._seen["gateway"] :]
        legacy = LocmemSmsSender.outbox if LocmemSmsSender else []
        texts = legacy[self._seen["sms"] :]
        mails = mail.outbox[self._seen["mail"] :]
        if advance:
            self._seen.update(
                gateway=len(consent_sms.outbox), sms=len(legacy), mail=len(mail.outbox)
            )
        for message in mails:
            for link in VERIFY_LINK.findall(message.body):
                for to in message.to:
                    self.verify_links[to.lower()] = link
        for to, body in [(t["to"], t["body"]) for t in texts] + [(m.to, m.body) for m in gateway]:
            found = CODE.search(body) if "/privacy/verify/code/" in body else None
            if found:
                self.sms_codes[to] = found.group(1)
        return gateway, texts, mails

    def import_contacts(self, who: list[int], *, committing: Callable) -> None:
        rows = ["first_name,last_name,email,phone,country,state,source,notes"]
        for index in who:
            p = PEOPLE[index]
            rows.append(f"{p.first_name},{p.last_name},{p.email},{p.phone},US,CA,import,")
        with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8") as csv_file:
            csv_file.write("\n".join(rows) + "\n")
            csv_file.flush()
            try:
                with committing():
                    call_command(
                        "import_contacts",
                        csv_file.name,
                        "--customer",
                        self.customer.slug,
                        "--workers",
                        "1",
                        stdout=io.StringIO(),
                        stderr=io.StringIO(),
                    )
            except CommandError:
                return  # refused as a whole: nothing saved (checked by the audit diff)
        for index in who:
            p = PEOPLE[index]
            holders = set(
                ContactIdentifier.objects.filter(
                    customer=self.customer,
                    match_key__in=[p.email, p.phone],
                    contact__erased_at__isnull=True,
                ).values_list("contact_id", flat=True)
            )
            assert len(holders) == 1, f"imported person {index}: holders {holders}"

    # --- the consent check -----------------------------------------------------------

    @staticmethod
    def api_check(api: Callable, to: str, sender: str | None) -> dict:
        """The consent check through the JSON API, as a customer's system asks it."""
        params = {"channel": "sms", "purpose": "sms_marketing", "to": to, "sender": sender}
        if sender is None:
            params = {"channel": "email", "purpose": "email_marketing", "to": to}
        response = api("get", "/api/v1/consent/check", params)
        assert response.status_code == 200, response.content
        return response.json()

    def selector_check(self, to: str, sender: str | None) -> dict:
        """The same check without the HTTP round trip (the API view is a thin caller of
        it): asked for every identifier after every step."""
        return consent_selectors.consent_check(
            customer_id=self.customer.pk,
            channel="email" if sender is None else "sms",
            purpose_code="email_marketing" if sender is None else "sms_marketing",
            to=to,
            sender=sender,
            default_region="US",
        ).as_json()

    def _check_answers(self) -> None:
        for index, person in enumerate(PEOPLE):
            phone, email = self.model.of(person.phone), self.model.of(person.email)
            asked = [(person.email, None, email.email_marketing_allowed(), email.suppressed)]
            asked += [
                (person.phone, s, phone.sms_marketing_allowed(s), phone.suppressed) for s in SENDERS
            ]
            for to, sender, allowed, suppressed in asked:
                answer = self.selector_check(to, sender)
                # Quiet hours depend on the clock: "granted, but not now".
                said_yes = answer["allowed"] or answer["reason"] == "quiet_hours"
                where = f"person {index} {'e-mail' if sender is None else 'sms@' + sender}"
                assert said_yes == allowed, f"{where}: check {answer}, model allowed={allowed}"
                if suppressed:
                    assert answer["reason"] == "suppressed", f"{where}: {answer}"

    # --- what went out ---------------------------------------------------------------

    def _outbound(self) -> None:
        """What went out in this step. A text from one of the customer's senders is held
        to the whole model (``outbound_block_reason`` with the customer and the sender).
        Our own texts and mail (the requests app's, controller mode) are asked about with
        no customer, and the guard then reads suppressions in every scope: none may go to
        an identifier suppressed anywhere (docs/promise-machine.md, "What it found")."""
        gateway, texts, mails = self.read_outboxes()
        ours = [(m.to, m.body) for m in gateway if m.sender not in SENDERS]
        ours += [(t["to"], t["body"]) for t in texts]
        for message in gateway:
            number = self.model.identifiers.get(message.to)
            if number is not None and message.sender == OUR_NUMBER:
                assert not number.our_number_opted_out, (
                    f"texted {message.to[-2:]} from our number after its STOP: "
                    f"{message.body[:60]!r}"
                )
            if number is None or message.sender not in SENDERS:
                continue
            if message.body.startswith("MARKETING"):
                assert number.sms_marketing_allowed(message.sender), message
            else:
                assert not number.sms_blocked(message.sender), (
                    f"texted {message.to[-2:]} from {message.sender}: {message.body[:60]!r}"
                )
        ours += [(to.lower(), message.subject) for message in mails for to in message.to]
        for to, text in ours:
            identifier = self.model.identifiers.get(to)
            if identifier is None or not identifier.suppressed:
                continue
            if _answers_a_request_proven_by(text, channel="email" if "@" in to else "sms"):
                # The answer to a request the person proved through this very identifier
                # (e.g. the confirmation of the erasure that suppressed it) still goes.
                STATS["answer to a proven request, to a suppressed identifier"] += 1
                continue
            raise AssertionError(f"our own message to a suppressed identifier: {text[:50]!r}")

    # --- open requests ---------------------------------------------------------------

    @staticmethod
    def _open_requests_answerable() -> None:
        for request in PrivacyRequest.objects.filter(status__in=OPEN_STATUSES):
            where = f"open request #{request.pk} ({request.request_type}, {request.status})"
            assert request.deidentified_at is None, f"{where} was de-identified"
            assert request.email or request.phone, f"{where} has no way to reach the person"
            erased = RequestMatch.objects.filter(
                request=request, contact__erased_at__isnull=False
            ).values_list("contact_id", flat=True)
            assert not erased, f"{where}: its contacts {list(erased)} were erased meanwhile"

    # --- erasure scan ----------------------------------------------------------------

    def _erasure_scan(
        self, newly_erased: list[int], held_before: dict[int, set[str]], before: Snapshot
    ) -> None:
        """Whatever the erased contact held (its identifiers, and its name if it had
        one) is found nowhere, unless another live contact holds it."""
        for contact_id in newly_erased:
            needles = {}
            for key in held_before.get(contact_id, set()):
                # Held by another live contact: of the customer (the model's holder), or
                # one of our own (a STOP texted to our requests number is kept by one).
                if self.model.of(key).holder is None and not _held_by_a_live_contact(key):
                    needles[key] = key
                    if key.startswith("+1"):
                        needles[f"{key} national"] = key[2:]
            name = before.named.get(contact_id)
            others = {n for pk, n in self.before.named.items() if pk != contact_id}
            if name and name not in others:
                needles.update({f"name {i}": part for i, part in enumerate(name) if part})
            if not needles:
                continue
            found = scan_database(needles)
            requests = [
                (r.pk, r.request_type, r.status, list(r.matches.values_list("contact", flat=True)))
                for r in PrivacyRequest.objects.filter(
                    Q(email__in=list(needles.values())) | Q(phone__in=list(needles.values()))
                )
            ]
            assert found == {}, (
                f"after erasing contact {contact_id}: {found}; requests holding its "
                f"identifiers (id, type, status, matched contacts): {requests}"
            )

    # --- audit and outbox ------------------------------------------------------------

    def _audit_rows(self, before: Snapshot, after: Snapshot) -> None:
        new = list(
            AuditEvent.objects.filter(pk__gt=before.last_audit).values_list(
                "action", "object_type", "object_id"
            )
        )
        actions = {action for action, _, _ in new}
        objects = {(object_type, object_id) for _, object_type, object_id in new}
        for pk, status in after.statuses.items():
            if before.statuses.get(pk) != status:
                assert ("privacy_request", str(pk)) in objects, f"request {pk} -> {status}: {new}"
        for pk in after.erased - before.erased:
            assert ("contact", str(pk)) in objects and "contact.erased" in actions, new
        for pk in after.contacts - before.contacts:
            assert actions & CONTACT_CREATED, f"contact {pk} created without audit: {new}"
        if after.last_consent_event > before.last_consent_event:
            assert any(a.startswith("consent.") for a in actions), f"consent events: {new}"
        if after.lifted - before.lifted:
            assert "suppression.lifted" in actions, new
        if after.suppressions - before.suppressions:
            assert "contact.erased" in actions, new

    def _outbox(self, before: Snapshot, after: Snapshot) -> None:
        lost = before.unsent - after.outbox_rows
        assert not lost, f"queued work lost: outbox rows {sorted(lost)}"
        if not self.model.broker_up:
            # Nothing can be published while the broker is down: a row marked sent now
            # is work dropped, not done.
            dropped = (after.outbox_rows - after.unsent) - (before.outbox_rows - before.unsent)
            assert not dropped, f"outbox rows marked sent with the broker down: {sorted(dropped)}"
        if self.model.broker_up:
            fresh = after.unsent - before.unsent
            assert not fresh, f"published nothing with the broker up: {sorted(fresh)}"
            if not after.unsent:
                stuck = PrivacyRequest.objects.filter(status=Status.VERIFIED)
                assert not stuck.exists(), "a verified request's processing was never run"
                # A sign-up's prompt went, or the guard stopped it and said so.
                unprompted = set(
                    SmsSubscription.objects.filter(
                        status=SmsSubscription.Status.PENDING, prompt_sent_at__isnull=True
                    ).values_list("pk", flat=True)
                )
                blocked = AuditEvent.objects.filter(
                    action="consent.sms_opt_in_prompt_blocked",
                    object_id__in=[str(pk) for pk in unprompted],
                ).values_list("object_id", flat=True)
                lost = unprompted - {int(pk) for pk in blocked}
                assert not lost, f"sign-ups whose prompt neither went nor was stopped: {lost}"

    # --- after every step ------------------------------------------------------------

    @staticmethod
    def _events(before: Snapshot, after: Snapshot, newly_erased: list[int]) -> None:
        """Count what happened (``STATS``)."""
        if newly_erased:
            STATS["a contact was erased"] += 1
        for pk, status in after.statuses.items():
            if before.statuses.get(pk) != status:
                STATS[f"a request became {status}"] += 1
        if after.unsent - before.unsent:
            STATS["work waited in the outbox"] += 1
        if after.lifted - before.lifted:
            STATS["a suppression was lifted"] += 1
        if after.suppressions - before.suppressions:
            STATS["an identifier was suppressed"] += 1

    def after_step(self) -> None:
        STATS["steps"] += 1
        before = self.before
        held_before = {}
        for key, identifier in self.model.identifiers.items():
            if identifier.holder is not None:
                held_before.setdefault(identifier.holder, set()).add(key)
        newly_erased = self.observe_holders()
        after = self.snapshot()
        self._events(before, after, newly_erased)
        self._audit_rows(before, after)
        self._outbox(before, after)
        self._outbound()
        self._open_requests_answerable()
        self._erasure_scan(newly_erased, held_before, before)
        self._check_answers()


_REFERENCE = re.compile(r"SR-[A-Z0-9]{4}-[A-Z0-9]{4}")


def _answers_a_request_proven_by(text: str, *, channel: str) -> bool:
    """The message names a request verified by the link or code sent to this channel."""
    from requests_app.services.notices import identifier_proven

    match = _REFERENCE.search(text)
    request = PrivacyRequest.objects.filter(reference=match.group(0)).first() if match else None
    return request is not None and identifier_proven(request, channel)


def _held_by_a_live_contact(key: str) -> bool:
    return ContactIdentifier.objects.filter(match_key=key, contact__erased_at__isnull=True).exists()
