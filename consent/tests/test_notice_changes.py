"""Notice of material policy changes (issue 9 §6): publishing a notice version marked as
a material change tells the people who consented under an earlier version (once, through
the outbound guard) and, after the grace period, the check answers
``reconfirmation_needed`` until they confirm under the new version."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.db.utils import DatabaseError
from django.utils import timezone

from consent import selectors, services
from consent.models import Notice, NoticeChangeNotification
from consent.tests.conftest import check
from consent.tests.factories import ContactFactory
from privacy.hashing import identifier_hmac
from privacy.models import Suppression
from privacy.services import contact_update
from tests.silent_smtp import silent_smtp  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def _grant_email(contact, notice=None, at=None):
    return services.consent_event_record(
        actor=None,
        purpose="email_marketing",
        action="grant",
        method="web_form",
        contact=contact,
        identifier=contact.email,
        notice=notice or selectors.notice_published(purpose_code="email_marketing"),
        occurred_at=at,
    )


def _publish_material_change(django_capture_on_commit_callbacks, *, material=True) -> Notice:
    v1 = selectors.notice_published(purpose_code="email_marketing")
    draft = services.notice_new_version(actor=None, notice=v1)
    draft.text = v1.text + " We now also share your address with our partners."
    draft.is_material_change = material
    services.notice_draft_save(actor=None, notice=draft)
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(actor=None, notice=draft)
    draft.refresh_from_db()
    return draft


def test_publishing_a_material_change_tells_each_consenting_person_once(
    customer, contact, django_capture_on_commit_callbacks
):
    _grant_email(contact, at=timezone.now() - dt.timedelta(days=3))
    mail.outbox.clear()

    v2 = _publish_material_change(django_capture_on_commit_callbacks)

    sent = [m for m in mail.outbox if m.to == [contact.email]]
    assert len(sent) == 1
    assert "/preferences/" in sent[0].body and "confirm" in sent[0].body
    note = NoticeChangeNotification.objects.get()
    assert (note.notice, note.contact, note.outcome, note.channel) == (v2, contact, "sent", "email")

    # Safe to run again (the nightly job): nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        report = services.material_notice_changes_notify(actor=None)
    assert report.counts == {} and len(mail.outbox) == len(sent)


def test_a_change_not_marked_material_tells_nobody(
    customer, contact, django_capture_on_commit_callbacks
):
    _grant_email(contact, at=timezone.now() - dt.timedelta(days=3))
    mail.outbox.clear()
    _publish_material_change(django_capture_on_commit_callbacks, material=False)
    assert mail.outbox == [] and not NoticeChangeNotification.objects.exists()


def test_the_check_asks_for_reconfirmation_after_the_grace_period(
    settings, customer, contact, django_capture_on_commit_callbacks
):
    settings.CONSENT_RECONFIRMATION_GRACE_DAYS = 30
    _grant_email(contact, at=timezone.now() - dt.timedelta(days=3))
    v2 = _publish_material_change(django_capture_on_commit_callbacks)
    selectors.caches_clear()

    during = check(customer, to=contact.email, purpose="email_marketing", now=timezone.now())
    assert (during.allowed, during.reason) == (True, "granted")
    after = timezone.now() + dt.timedelta(days=31)
    decision = check(customer, to=contact.email, purpose="email_marketing", now=after)
    assert (decision.allowed, decision.reason) == (False, "reconfirmation_needed")

    # The person confirms under the new version: allowed again.
    _grant_email(contact, notice=v2)
    assert check(customer, to=contact.email, purpose="email_marketing", now=after).allowed


def test_a_consent_given_under_the_new_version_needs_nothing(
    customer, django_capture_on_commit_callbacks
):
    v2 = _publish_material_change(django_capture_on_commit_callbacks)
    newcomer = ContactFactory(customer=customer)
    _grant_email(newcomer, notice=v2)
    later = timezone.now() + dt.timedelta(days=400)
    assert check(customer, to=newcomer.email, purpose="email_marketing", now=later).allowed


def test_people_who_may_not_be_messaged_are_not_told(customer, django_capture_on_commit_callbacks):
    asked_not = ContactFactory(customer=customer)
    suppressed = ContactFactory(customer=customer)
    for person in (asked_not, suppressed):
        _grant_email(person, at=timezone.now() - dt.timedelta(days=3))
    contact_update(actor=None, contact=asked_not, do_not_contact=True)
    Suppression.objects.create(
        identifier_hmac=identifier_hmac(channel="email", value=suppressed.email),
        channel="email",
        scope="global",
    )
    mail.outbox.clear()

    _publish_material_change(django_capture_on_commit_callbacks)

    assert mail.outbox == []
    reasons = dict(NoticeChangeNotification.objects.values_list("contact_id", "reason"))
    assert reasons == {asked_not.pk: "do_not_contact", suppressed.pk: "suppressed"}


@pytest.mark.postgres
def test_a_published_notices_material_flag_never_changes(django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        pytest.skip("the guard is a PostgreSQL trigger")
    v2 = _publish_material_change(django_capture_on_commit_callbacks)
    with pytest.raises(DatabaseError, match="never changes"):
        Notice.objects.filter(pk=v2.pk).update(is_material_change=False)


def test_a_material_change_published_while_the_broker_is_down_is_told_once_it_is_back(
    customer, contact, celery_conf, django_capture_on_commit_callbacks
):
    """The telling is queued through privacy's outbox: with the broker down the notice is
    published all the same, and the relay queues the telling once the broker is back."""
    from privacy.models import OutboxTask
    from privacy.services import outbox_relay

    _grant_email(contact, at=timezone.now() - dt.timedelta(days=3))
    mail.outbox.clear()
    celery_conf(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)

    v2 = _publish_material_change(django_capture_on_commit_callbacks)

    assert v2.published_at is not None
    row = OutboxTask.objects.get(task="consent.tasks.material_notice_change_notify")
    assert (row.args, row.sent_at) == ([v2.pk], None)
    assert not [m for m in mail.outbox if m.to == [contact.email]]

    celery_conf(task_always_eager=True)  # the broker is back
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_relay(now=timezone.now() + dt.timedelta(minutes=1)).sent == 1
    assert len([m for m in mail.outbox if m.to == [contact.email]]) == 1
    assert NoticeChangeNotification.objects.get().outcome == "sent"


@pytest.mark.usefixtures("silent_smtp")
def test_a_message_the_mail_server_did_not_take_is_not_recorded_as_sent(
    customer, contact, django_capture_on_commit_callbacks, settings
):
    """Issue 11: the row that says the person was told goes when the server did not
    take the mail, so the nightly run tells them again."""
    _grant_email(contact, at=timezone.now() - dt.timedelta(days=3))
    _publish_material_change(django_capture_on_commit_callbacks)
    assert not NoticeChangeNotification.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.material_notice_changes_notify(actor=None)
    assert [m.to for m in mail.outbox] == [[contact.email]]
    assert NoticeChangeNotification.objects.get().outcome == "sent"
