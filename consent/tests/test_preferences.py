"""The preference centre (consent/services/preferences.py): sending a contact the signed,
expiring link to it, by e-mail (Django's locmem backend) or SMS (the locmem gateway) —
the link in the message opens the page, nothing leaves before the commit, the audit row
holds no personal data — and a choice there records only the decision the person made."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from consent import selectors, services, sms
from consent.models import ConsentState
from consent.tests.factories import ContactFactory, UserFactory
from privacy.models import AuditEvent, Contact
from tests.silent_smtp import silent_smtp  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/preferences/[^/\s]+/")


def _link_path(text: str) -> str:
    (url,) = LINK.findall(text)
    return urlparse(url).path


def _opens_the_preference_page(client, text: str) -> None:
    page = client.get(_link_path(text))
    assert page.status_code == 200
    assert "Your communication choices" in page.content.decode()


def test_email_link_is_sent_after_commit_and_opens_the_page(
    client, contact, settings, django_capture_on_commit_callbacks
):
    settings.CONSENT_PUBLIC_BASE_URL = "https://privacy.example.com"
    with django_capture_on_commit_callbacks() as callbacks:
        services.preference_link_send(actor=None, contact=contact, channel="email")
        assert mail.outbox == []  # nothing leaves inside the transaction
    for callback in callbacks:
        callback()

    (message,) = mail.outbox
    assert message.to == [contact.email]
    assert "https://privacy.example.com/preferences/" in message.body
    assert contact.email not in _link_path(message.body)
    _opens_the_preference_page(client, message.body)


def test_sms_link_goes_from_the_customers_sender_and_opens_the_page(
    client, contact, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_link_send(actor=None, contact=contact, channel="sms")

    (text,) = sms.outbox
    assert (text.to, text.sender) == (contact.phone, sender.number)
    assert text.body.startswith("Acme: ") and "Reply STOP" in text.body
    assert contact.phone.lstrip("+") not in _link_path(text.body)
    _opens_the_preference_page(client, text.body)


def test_audit_row_names_the_contact_by_id_only(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_link_send(actor=None, contact=contact, channel="email")
    event = AuditEvent.objects.get(action="consent.preference_link_sent")
    assert (event.object_type, event.object_id) == ("contact", str(contact.pk))
    stored = str(event.summary)
    assert contact.email not in stored and "preferences/" not in stored
    assert event.summary["channel"] == "email"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    contact, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.preference_link_send(actor=None, contact=contact, channel="email")
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == [] and mail.outbox == []
    assert not AuditEvent.objects.filter(action="consent.preference_link_sent").exists()


def test_no_text_to_a_number_that_said_stop(
    contact, sender, text, django_capture_on_commit_callbacks
):
    text("STOP")
    sms.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError, match="opted out"),
    ):
        services.preference_link_send(actor=None, contact=contact, channel="sms")
    assert callbacks == [] and sms.outbox == []
    # E-mail is another channel: the STOP does not stop it.
    with django_capture_on_commit_callbacks(execute=True):
        services.preference_link_send(actor=None, contact=contact, channel="email")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "channel", "message"),
    [
        ({"erased": True}, "email", "erased"),
        ({"do_not_contact": True}, "email", "not to be contacted"),
        ({}, "fax", "email or sms"),
        ({}, "sms", "no such active sender"),  # the customer has no sender number
    ],
)
def test_refusals_send_nothing(contact, change, channel, message):
    if change.get("erased"):
        Contact.objects.filter(pk=contact.pk).update(erased_at="2026-01-01T00:00:00Z")
    elif change:
        Contact.objects.filter(pk=contact.pk).update(**change)
    with pytest.raises(ValidationError, match=message):
        services.preference_link_send(actor=None, contact=contact, channel=channel)
    assert mail.outbox == [] and sms.outbox == []


def test_contact_without_an_address_is_refused(customer):
    contact = ContactFactory(customer=customer, email=None, phone="+14155550199")
    with pytest.raises(ValidationError, match="no e-mail address"):
        services.preference_link_send(actor=None, contact=contact, channel="email")


def test_admin_action_sends_the_link_and_reports_refusals(
    client, contact, customer, django_capture_on_commit_callbacks
):
    erased = ContactFactory(customer=customer, email="gone@example.org", phone="+14155550177")
    Contact.objects.filter(pk=erased.pk).update(erased_at="2026-01-01T00:00:00Z")
    client.force_login(UserFactory(role="Support agent"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/consent/contactconsent/",
            {"action": "send_preference_link_email", "_selected_action": [contact.pk, erased.pk]},
            follow=True,
        )
    body = response.content.decode()
    assert "Preference-centre link queued for 1 contact(s)." in body
    assert f"Contact #{erased.pk}: This contact has been erased." in body
    (message,) = mail.outbox
    assert message.to == [contact.email]
    _opens_the_preference_page(client, message.body)


def test_auditors_do_not_get_the_action(client, contact):
    client.force_login(UserFactory(role="Auditor"))
    response = client.get("/admin/consent/contactconsent/")
    assert response.status_code == 200
    assert "send_preference_link_email" not in response.content.decode()


def test_unticking_one_address_on_the_preference_centre_leaves_the_others(customer):
    """The ledger must record only the decision the person made: withdrawing e-mail
    marketing for one address keeps it for their other address."""
    from privacy.services import contact_create

    person, _ = contact_create(
        actor=None, customer=customer, emails=["ann.one@example.org", "ann.two@example.org"]
    )
    for address in ("ann.one@example.org", "ann.two@example.org"):
        services.consent_event_record(
            actor=None, purpose="email_marketing", action="grant", method="web_form",
            contact=person, identifier=address,
            notice=selectors.notice_published(purpose_code="email_marketing"),
        )  # fmt: skip

    outcome = services.preference_choice_set(
        contact=person, purpose_code="email_marketing", identifier="ann.one@example.org",
        grant=False,
    )  # fmt: skip

    assert outcome == "withdrawn"
    granted = dict(
        ConsentState.objects.filter(contact=person).values_list("identifier", "is_granted")
    )
    assert granted == {"ann.one@example.org": False, "ann.two@example.org": True}


@pytest.mark.usefixtures("silent_smtp")
def test_a_link_the_mail_server_did_not_take_is_not_audited_as_sent(contact, settings):
    """Issue 11: sent by a task (EMAIL_TIMEOUT bounds it); the audit row says "sent"
    only once the mail server took it, and the task's retry sends it then."""
    from privacy.models import OutboxTask

    services.preference_link_send(actor=None, contact=contact, channel="email")
    [queued] = OutboxTask.objects.filter(task="consent.tasks.preference_link_deliver")
    with pytest.raises(services.PreferenceLinkNotSent):
        services.preference_link_deliver(
            **dict(
                zip(["contact_id", "channel", "sender_id", "actor_id"], queued.args, strict=True)
            )
        )
    assert not AuditEvent.objects.filter(action="consent.preference_link_sent").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.preference_link_deliver(contact_id=contact.pk, channel="email", sender_id=None)
    assert [m.to for m in mail.outbox] == [[contact.email]]
    assert AuditEvent.objects.filter(action="consent.preference_link_sent").count() == 1
