"""The agent's "stop texting me": from privacy's contact page (an action consent
registers), a form, a confirmation page, the ledger rows naming the agent; the person's
name and number shown to staff allowed to see them; who may do what.

It is a revocation like any other (``contact_revocation_record``, the one service for
the act): where the agent's old service and the revocation service disagreed, these
tests pin the answer — the note is kept on text revocations too, a note too long is
refused (never cut short), the form insists on a note, and the one confirmation text
goes out through the outbound guard."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import services, sms
from consent.models import ConsentEvent, SmsSubscription
from consent.tests.conftest import check
from consent.tests.factories import SenderNumberFactory, UserFactory
from privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(username="sam", first_name="Sam", last_name="Support", role="Support agent")


def _opt_in(contact, sender, text):
    services.sms_subscription_request(actor=None, contact=contact, phone=contact.phone)
    text("YES", from_=contact.phone)
    assert check(contact.customer, sender=sender.number).allowed


def test_agent_records_a_phone_opt_out_from_the_contact_page(
    client, agent, contact, sender, text, customer, django_capture_on_commit_callbacks
):
    other = SenderNumberFactory(customer=customer, number="+12125550177")
    _opt_in(contact, sender, text)
    client.force_login(agent)

    contact_page = client.get(f"/admin/privacy/contact/{contact.pk}/change/").content.decode()
    url = f"/admin/consent/contactconsent/{contact.pk}/opt-out/"
    assert f'href="{url}"' in contact_page

    form = client.get(url).content.decode()
    assert contact.display_name in form and "+14155550111" in form  # the right person
    assert other.number in form and "All of the customer" in form

    data = {
        "channel": "sms",
        "phone": "+14155550111",
        "sender": "all",
        "method": "phone",
        "note": "Called in: stop texting me",
    }
    confirm = client.post(url, data)
    body = confirm.content.decode()
    assert "Please confirm" in body and "from all of the customer" in body
    assert not ConsentEvent.objects.filter(action="withdraw").exists()  # nothing yet
    sms.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**data, "confirm": "yes"}, follow=True)
    assert done.redirect_chain[-1][0].startswith(
        f"/admin/consent/contactconsent/{contact.pk}/change/"
    )
    page = done.content.decode()
    assert "Opt-out recorded by Sam Support" in page
    assert "the one confirmation text is on its way" in page
    assert "Sam Support (sam)" in page  # the ledger rows name the agent
    events = ConsentEvent.objects.filter(method="phone").order_by("purpose__code")
    assert [(e.purpose.code, e.action, e.sender, e.recorded_by) for e in events] == [
        ("sms_informational", "withdraw", "", agent),
        ("sms_marketing", "withdraw", "", agent),
    ]
    # The agent's note is the evidence, on texts as on e-mails.
    assert {e.source for e in events} == {"Revocation (phone): Called in: stop texting me"}
    assert not check(customer, sender=sender.number).allowed
    assert not check(customer, sender=other.number).allowed
    assert not SmsSubscription.objects.exclude(status="opted_out").filter(phone=contact.phone)
    audit = AuditEvent.objects.get(action="consent.revocation_recorded")
    assert audit.actor == agent and audit.summary["all_senders"] is True
    assert audit.summary["confirmation"] == "queued"
    assert "stop texting" not in str(audit.summary)
    # The one confirmation text (the rule allows it, through the outbound guard).
    assert len(sms.outbox) == 1 and sms.outbox[0].to == contact.phone


def test_opt_out_from_one_sender_leaves_the_others(contact, sender, text, customer, agent):
    other = SenderNumberFactory(customer=customer, number="+12125550177")
    _opt_in(contact, sender, text)
    services.sms_subscription_request(
        actor=None, contact=contact, phone=contact.phone, sender=other.number
    )
    text("YES", from_=contact.phone, to=other.number)
    result = services.contact_revocation_record(
        actor=agent,
        contact=contact,
        channel="sms",
        identifier=contact.phone,
        method="email",
        sender=sender.number,
        note="Asked by e-mail",
    )
    assert result.withdrawn == 2
    assert not check(customer, sender=sender.number).allowed
    assert check(customer, sender=other.number).allowed


def test_email_opt_out_and_refusals(contact, agent):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    services.contact_revocation_record(
        actor=agent, contact=contact, channel="email", identifier=contact.email,
        method="staff", note="Letter",
    )  # fmt: skip
    assert not check(contact.customer, to=contact.email, purpose="email_marketing").allowed
    for kwargs, message in [
        ({"identifier": "+14155550999"}, "not one of this contact"),
        ({"sender": "+19995550100"}, "not one of this customer"),
        ({"channel": "fax"}, "text messages or e-mails"),
        ({"method": "web_form"}, "how the revocation reached us"),
        # Refused with the reason, not cut short: the note is the evidence.
        ({"note": "x" * 151}, "Keep the note to 150 characters"),
    ]:
        arguments = {
            "actor": agent, "contact": contact, "channel": "sms", "method": "phone",
            "identifier": contact.phone, "note": "x", **kwargs,
        }  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            services.contact_revocation_record(**arguments)
    assert ConsentEvent.objects.filter(action="withdraw").count() == 1


def test_the_agent_form_wants_a_note_and_a_short_one(client, agent, contact, sender):
    client.force_login(agent)
    url = f"/admin/consent/contactconsent/{contact.pk}/opt-out/"
    data = {"channel": "sms", "phone": contact.phone, "sender": "all", "method": "phone"}
    for note, error in (("   ", "This field is required"), ("x" * 151, "at most 150")):
        response = client.post(url, {**data, "note": note, "confirm": "yes"})
        assert response.status_code == 200 and error in response.content.decode()
    assert not ConsentEvent.objects.filter(action="withdraw").exists()


@pytest.mark.parametrize(
    ("role", "sees_person", "may_opt_out", "sees_evidence"),
    [
        ("Support agent", True, True, False),
        ("Privacy officer", True, True, True),
        ("Auditor", True, False, True),
    ],
)
def test_permission_matrix(client, contact, role, sees_person, may_opt_out, sees_evidence):
    client.force_login(UserFactory(username=role.replace(" ", "_").lower(), role=role))
    history = client.get(f"/admin/consent/contactconsent/{contact.pk}/change/")
    assert history.status_code == 200
    body = history.content.decode()
    assert ('id="contact-person"' in body) == sees_person
    assert (contact.phone in body) == sees_person
    opt_out_url = f"/admin/consent/contactconsent/{contact.pk}/opt-out/"
    evidence_url = f"/admin/consent/contactconsent/{contact.pk}/evidence/"
    assert (opt_out_url in body) == may_opt_out
    assert (evidence_url in body) == sees_evidence
    assert client.get(opt_out_url).status_code == (200 if may_opt_out else 403)
    posted = client.post(
        opt_out_url,
        {
            "channel": "sms", "phone": contact.phone, "sender": "all", "method": "phone",
            "note": "x", "confirm": "yes",
        },
    )  # fmt: skip
    assert posted.status_code == (302 if may_opt_out else 403)
    assert ConsentEvent.objects.filter(method="phone").exists() == may_opt_out
    contact_page = client.get(f"/admin/privacy/contact/{contact.pk}/change/").content.decode()
    assert (opt_out_url in contact_page) == may_opt_out
    assert (evidence_url in contact_page) == sees_evidence


def test_consent_page_hides_the_person_without_contact_permission(client, contact):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="consent_only")
    user.user_permissions.add(
        Permission.objects.get(codename="view_contactconsent", content_type__app_label="consent")
    )
    client.force_login(user)
    body = client.get(f"/admin/consent/contactconsent/{contact.pk}/change/").content.decode()
    assert contact.phone not in body and contact.display_name not in body


def test_erased_contact_has_no_opt_out_action(client, contact, agent):
    from privacy.services import contact_erase

    contact_erase(actor=None, contact=contact)
    client.force_login(agent)
    page = client.get(f"/admin/privacy/contact/{contact.pk}/change/").content.decode()
    assert "/opt-out/" not in page
    response = client.get(f"/admin/consent/contactconsent/{contact.pk}/opt-out/")
    assert response.status_code == 302


def test_the_subscription_admin_opt_out_is_the_staff_revocation(
    client, agent, contact, sender, text, customer, django_capture_on_commit_callbacks
):
    """Issue 12: one staff opt-out service. The subscription list's "Opt out (STOP
    received elsewhere)" asks first, then records a revocation of texts from that sender
    (both SMS purposes, as STOP; the ledger names how it reached us), moves the
    subscription to opted-out and sends the one confirmation text."""
    _opt_in(contact, sender, text)
    subscription = SmsSubscription.objects.get(sender=sender.number, program="marketing")
    client.force_login(agent)
    url = "/admin/consent/smssubscription/"
    chosen = {"action": "opt_out", "_selected_action": [subscription.pk]}

    page = client.post(url, chosen)
    assert page.status_code == 200 and "Received by" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "opted_in"  # nothing before the confirmation
    sms.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url, {**chosen, "apply": "1", "method": "staff", "note": "Complaint"}, follow=True
        )
    assert "1 subscription(s) opted out." in done.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "opted_out" and subscription.opted_out_at is not None
    events = ConsentEvent.objects.filter(action="withdraw").order_by("purpose__code")
    assert [(e.purpose.code, e.method, e.sender, e.recorded_by) for e in events] == [
        ("sms_informational", "staff", sender.number, agent),
        ("sms_marketing", "staff", sender.number, agent),
    ]
    assert not check(customer, sender=sender.number).allowed
    audit = AuditEvent.objects.get(action="consent.revocation_recorded")
    assert audit.actor == agent and audit.summary["confirmation"] == "queued"
    assert [m.to for m in sms.outbox] == [contact.phone]  # the one confirmation

    client.post(url, {**chosen, "apply": "1", "method": "staff"})  # again: nothing more
    assert ConsentEvent.objects.filter(action="withdraw").count() == 2


def test_a_staff_revocation_of_one_sender_opts_its_pending_subscription_out(
    contact, sender, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        subscription = services.sms_subscription_request(
            actor=None, contact=contact, phone=contact.phone
        )
    services.contact_revocation_record(
        actor=agent, contact=contact, channel="sms", identifier=contact.phone,
        sender=sender.number, method="staff", note="Letter",
    )  # fmt: skip
    subscription.refresh_from_db()
    assert subscription.status == "opted_out" and subscription.opted_out_at is not None
    # Its prompt, still queued, is not sent any more.
    assert services.sms_opt_in_prompt_send(subscription_id=subscription.pk) is False
