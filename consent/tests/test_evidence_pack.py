"""The consent evidence pack: for a number or address typed in any format, every ledger
event with the exact notice text, the texts received, withdrawals, suppression and
quiet hours; as a page, a PDF and JSON; for auditors and officers only; every view
audited; a fixed number of queries however many events there are."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from consent import selectors, services
from consent.models import ConsentEvent, Notice
from consent.services.ledger import _event_write
from consent.tests.conftest import NOON_PACIFIC
from consent.tests.factories import ContactFactory, SenderNumberFactory, UserFactory
from privacy.models import AuditEvent
from privacy.services import contact_erase

pytestmark = pytest.mark.django_db

SEARCH_URL = "/admin/consent/contactconsent/evidence/"


def _double_opt_in(contact, sender, text):
    """A real double opt-in: sign-up, prompt, the person's YES."""
    services.sms_subscription_request(actor=None, contact=contact, phone=contact.phone)
    text("YES", from_=contact.phone)


def _pack(raw: str, *, region: str = "US"):
    kind, identifier = selectors.evidence_identifier_normalize(raw, region=region)
    return selectors.consent_evidence_pack(kind=kind, identifier=identifier, now=NOON_PACIFIC)


def test_pack_of_a_number_typed_in_a_national_format(contact, sender, text, customer):
    other_number = "+14155550199"
    contact.identifiers.create(
        customer=customer, kind="phone", value=other_number, match_key=other_number
    )
    _double_opt_in(contact, sender, text)
    text("STOP", from_=contact.phone)
    text("STOP", from_=other_number)  # another number of the same person: not in this pack

    pack = _pack("(415) 555-0111")

    assert pack.kind == "phone" and pack.identifier == "+14155550111"
    assert [(e.action, e.purpose, e.method) for e in pack.events] == [
        ("grant", "sms_marketing", "double_opt_in"),
        ("withdraw", "sms_marketing", "sms_keyword"),
        ("withdraw", "sms_informational", "sms_keyword"),
    ]
    grant = pack.events[0]
    prompt = Notice.objects.get(purpose__code="sms_marketing", version=grant.notice_version)
    assert pack.event_notice(grant).text == prompt.text
    assert pack.event_notice(grant).sha256 == prompt.text_sha256
    assert grant.keyword_text == "YES"  # the person's own words behind the grant
    assert grant.reference.startswith("SM")
    assert [e.keyword_text for e in pack.withdrawals] == ["STOP", "STOP"]
    assert [m.body for m in pack.inbound] == ["YES", "STOP"]
    assert {(s.program, s.status) for s in pack.subscriptions} == {
        ("Marketing", "Opted out"),
        ("Informational", "Opted out"),
    }
    assert {(s.purpose, s.is_granted) for s in pack.states} == {
        ("sms_marketing", False),
        ("sms_informational", False),
    }
    assert pack.quiet_hours.state == "CA"
    assert pack.quiet_hours.is_quiet_now is False  # noon in California
    assert {(a.purpose, a.reason) for a in pack.check_answers} == {
        ("sms_marketing", "withdrawn"),
        ("sms_informational", "withdrawn"),
    }
    assert pack.suppressions == []


def test_pack_of_an_address_in_another_case_and_a_bad_input(contact):
    services.consent_event_record(
        actor=UserFactory(username="agent_ann", first_name="Ann", last_name="Agent"),
        purpose="email_marketing",
        action="grant",
        method="staff",
        contact=contact,
        identifier="ann@example.org",
        notice=selectors.notice_published(purpose_code="email_marketing"),
        ip_address="198.51.100.7",
        user_agent="Mozilla/5.0 (test)",
        page_url="https://www.example.com/signup",
        source="signup form",
    )
    pack = _pack("  ANN@Example.ORG ")
    assert pack.kind == "email" and pack.identifier == "ann@example.org"
    (event,) = pack.events
    assert (event.ip_address, event.user_agent, event.page_url, event.source) == (
        "198.51.100.7",
        "Mozilla/5.0 (test)",
        "https://www.example.com/signup",
        "signup form",
    )
    assert event.recorded_by == "Ann Agent (agent_ann)"
    assert pack.quiet_hours is None
    with pytest.raises(Exception, match="valid") as error:
        selectors.evidence_identifier_normalize("not-a-number-x1")
    assert "x1" not in str(error.value)


def test_erased_persons_kept_sms_proof_is_found_and_suppression_shown(
    contact, sender, text, customer
):
    _double_opt_in(contact, sender, text)
    text("STOP", from_=contact.phone)
    contact_erase(actor=None, contact=contact)

    pack = _pack("+1 415 555 0111")
    assert [e.action for e in pack.events] == ["grant", "withdraw", "withdraw"]
    assert all(e.deidentified for e in pack.events)
    assert pack.events[0].notice_version is not None  # the words shown survive erasure
    assert [m.keyword for m in pack.inbound] == ["yes", "stop"]
    assert all(m.body is None for m in pack.inbound)  # the text itself is gone
    assert pack.contacts[0].erased
    assert [s.customer for s in pack.suppressions] == [customer.name]
    assert pack.states == [] and pack.check_answers == []


def _events(contact, sender, count: int):
    notice = selectors.notice_published(purpose_code="sms_informational")
    start = NOON_PACIFIC - dt.timedelta(days=1)
    for index in range(count):
        _event_write(
            actor=None,
            purpose=notice.purpose,
            action="grant" if index % 2 == 0 else "withdraw",
            method="web_form",
            contact=contact,
            identifier=contact.phone,
            sender=sender.number,
            notice=notice if index % 2 == 0 else None,
            occurred_at=start + dt.timedelta(seconds=index),
            reference=f"ref-{index}",
        )


def test_query_count_does_not_grow_with_the_events(contact, sender, text):
    text("HELP", from_=contact.phone)
    _events(contact, sender, 4)
    _pack(contact.phone)  # the purposes the check reads are cached per worker
    with CaptureQueriesContext(connection) as few:
        small = _pack(contact.phone)
    _events(contact, sender, 60)
    with CaptureQueriesContext(connection) as many:
        large = _pack(contact.phone)
    assert len(large.events) == len(small.events) + 60
    assert len(many) == len(few)
    assert len(many) <= 14


@pytest.fixture
def staff_client(client):
    def login(role: str):
        client.force_login(UserFactory(username=role.replace(" ", "_").lower(), role=role))
        return client

    return login


def test_auditor_searches_by_post_and_downloads_pdf_and_json(
    staff_client, contact, sender, text, caplog
):
    _double_opt_in(contact, sender, text)
    client = staff_client("Auditor")
    assert client.get(SEARCH_URL).status_code == 200
    page = client.post(SEARCH_URL, {"identifier": "415.555.0111", "region": "US"})
    assert page.status_code == 200
    body = page.content.decode()
    notice = Notice.objects.get(purpose__code="sms_marketing", version=1)
    assert notice.text_sha256 in body and "“YES”" in body
    assert "no-store" in page["Cache-Control"]

    pdf = client.post(SEARCH_URL, {"identifier": "415.555.0111", "region": "US", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert "555" not in pdf["Content-Disposition"]
    text_of_pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "+14155550111" in text_of_pdf
    # The exact words, as extracted (the PDF wraps lines).
    assert " ".join(notice.text.split()) in " ".join(text_of_pdf.split())

    data = json.loads(
        client.post(SEARCH_URL, {"identifier": "4155550111", "format": "json"}).content
    )
    assert data["identifier"] == "+14155550111"
    assert data["events"][0]["keyword_text"] == "YES"
    assert data["notices"][0]["text"] == notice.text

    viewed = AuditEvent.objects.filter(action="consent.evidence_pack_viewed")
    assert sorted(viewed.values_list("summary__format", flat=True)) == ["html", "json", "pdf"]
    assert set(viewed.values_list("object_id", flat=True)) == {str(contact.pk)}
    assert all("555" not in json.dumps(e.summary) for e in viewed)


def test_pack_from_the_contacts_page_by_ids_only(staff_client, contact, sender, text):
    _double_opt_in(contact, sender, text)
    client = staff_client("Privacy officer")
    listing = client.get(f"/admin/consent/contactconsent/{contact.pk}/evidence/")
    phone = contact.identifiers.get(kind="phone")
    url = f"/admin/consent/contactconsent/{contact.pk}/evidence/{phone.pk}/"
    assert url in listing.content.decode()
    assert "+14155550111" in client.get(url).content.decode()
    assert client.get(url, {"format": "pdf"}).content[:5] == b"%PDF-"
    # An identifier of another contact is not reachable through this contact's URL.
    stranger = ContactFactory(customer=contact.customer).identifiers.first()
    assert (
        client.get(f"/admin/consent/contactconsent/{contact.pk}/evidence/{stranger.pk}/")
    ).status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("Privacy officer", True), ("Auditor", True), ("Support agent", False)],
)
def test_who_may_see_evidence_packs(staff_client, contact, role, allowed):
    client = staff_client(role)
    phone = contact.identifiers.get(kind="phone")
    urls = [
        SEARCH_URL,
        f"/admin/consent/contactconsent/{contact.pk}/evidence/",
        f"/admin/consent/contactconsent/{contact.pk}/evidence/{phone.pk}/",
    ]
    for url in urls:
        assert client.get(url).status_code == (200 if allowed else 403), url
    posted = client.post(SEARCH_URL, {"identifier": contact.phone})
    assert posted.status_code == (200 if allowed else 403)
    assert AuditEvent.objects.filter(action="consent.evidence_pack_viewed").exists() == allowed


def test_a_pack_is_ordered_by_time_and_lists_every_sender(contact, customer, text, sender):
    second = SenderNumberFactory(customer=customer, number="+12125550177")
    _double_opt_in(contact, sender, text)
    text("STOPALL", from_=contact.phone, to=second.number)
    pack = _pack(contact.phone)
    times = [(e.occurred_at, e.id) for e in pack.events]
    assert times == sorted(times)
    assert pack.events[-1].sender == ""  # STOPALL: every sender of the customer
    assert ConsentEvent.objects.filter(contact=contact).count() == len(pack.events)


def test_fast_row_reader_gives_the_orms_rows(contact, sender, text):
    """The pack's ledger and inbound rows are read with psycopg's C timestamp loader
    (``consent.selectors.fast_rows``): the very rows, instants and time zone offsets the
    ORM gives, on either database."""
    from consent.models import InboundMessage
    from consent.selectors.fast_rows import values_list_rows

    _double_opt_in(contact, sender, text)
    text("STOP", from_=contact.phone)
    _events(contact, sender, 5)
    for queryset in (
        ConsentEvent.objects.order_by("occurred_at", "id").values_list(
            "id", "occurred_at", "recorded_at", "ip_address", "deidentified_at", "reference"
        ),
        InboundMessage.objects.order_by("received_at", "id").values_list(
            "id", "received_at", "message_sid", "body", "deidentified_at"
        ),
    ):
        fast, orm = values_list_rows(queryset), list(queryset)
        assert len(fast) >= 2
        assert fast == orm
        assert [[v.utcoffset() for v in row if isinstance(v, dt.datetime)] for row in fast] == [
            [v.utcoffset() for v in row if isinstance(v, dt.datetime)] for row in orm
        ]
