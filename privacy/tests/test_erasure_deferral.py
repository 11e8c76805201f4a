"""Deferral through the registry: a provider may name a reason to wait with a subject's
erasure (requests_app: an open privacy request). The engine skips deferred subjects
with the reason, ``contact_erase`` says why, and the retention sweep counts them and
takes them on the first run after the reason is gone.

privacy imports no other app, so these tests plug in a provider of their own."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from privacy import registry
from privacy.models import AuditEvent, Contact, ErasureCertificate, RetentionRule
from privacy.services import (
    ErasureDeferred,
    ErasureRefused,
    contact_erase,
    contacts_erase_batch,
    erasure_preview,
    retention_sweep,
)
from privacy.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PROSPECT = RetentionRule.Code.PROSPECT_LAST_CONTACT


class WaitingProvider:
    """Defers the contacts in ``waiting`` unless the erasure runs for ``own_reference``."""

    key = "tests.waiting"
    label = "Things to answer"
    order = 10
    deferral_kind = "open request"

    def __init__(self) -> None:
        self.waiting: dict[int, str] = {}
        self.calls: list[tuple[str, str]] = []

    def collect(self, contact):
        return iter(())

    def preview(self, contacts):
        return {}

    def opted_out_identifiers(self, contacts):
        return {}

    def erase(self, contacts, *, now):
        return {}

    def deferrals(self, contacts, *, trigger, reference):
        self.calls.append((trigger, reference))
        return {
            c.pk: f"open privacy request {self.waiting[c.pk]}"
            for c in contacts
            if c.pk in self.waiting
            and not (trigger == "request" and reference == self.waiting[c.pk])
        }


@pytest.fixture
def waiting():
    provider = WaitingProvider()
    registry.register(provider)
    yield provider
    registry._providers.pop(provider.key, None)


def stale_prospect() -> Contact:
    old = timezone.now() - dt.timedelta(days=800)
    return ContactFactory(customer=None, kind="prospect", last_interaction_at=old, created_at=old)


def test_the_engine_skips_deferred_contacts_with_the_reason(waiting):
    deferred, erased = ContactFactory(), ContactFactory()
    waiting.waiting[deferred.pk] = "PR-ABCD-EFGH"

    result = contacts_erase_batch(
        actor=None, contact_ids=[deferred.pk, erased.pk], trigger="retention", reference=PROSPECT
    )

    assert [c.contact_id for c in result.certificates] == [erased.pk]
    assert result.deferred == {deferred.pk: "open privacy request PR-ABCD-EFGH"}
    assert result.deferred_kinds == {"open request": 1}
    assert waiting.calls == [("retention", PROSPECT)]
    deferred.refresh_from_db()
    assert deferred.erased_at is None and deferred.first_name
    assert not ErasureCertificate.objects.filter(contact=deferred).exists()


def test_contact_erase_says_why_it_waits_and_the_request_itself_does_not_defer(waiting):
    contact = ContactFactory()
    waiting.waiting[contact.pk] = "PR-ABCD-EFGH"

    preview = erasure_preview(contact=contact)
    assert preview.deferred_by == "open privacy request PR-ABCD-EFGH"
    with pytest.raises(ErasureDeferred, match="open privacy request PR-ABCD-EFGH") as excinfo:
        contact_erase(actor=None, contact=contact)
    assert isinstance(excinfo.value, ErasureRefused)  # callers that catch refusals see it
    contact.refresh_from_db()
    assert contact.erased_at is None

    # The erasure a request runs for its own subject is not deferred by that request.
    assert (
        erasure_preview(contact=contact, trigger="request", reference="PR-ABCD-EFGH").deferred_by
        is None
    )
    certificate = contact_erase(
        actor=None, contact=contact, trigger="request", reference="PR-ABCD-EFGH"
    )
    assert certificate.contact_id == contact.pk


def test_the_sweep_counts_deferred_subjects_and_takes_them_after_the_reason_is_gone(
    waiting, logged
):
    deferred, erased = stale_prospect(), stale_prospect()
    waiting.waiting[deferred.pk] = "PR-ABCD-EFGH"

    log = logged("privacy.services.retention")
    report = retention_sweep(actor=None)

    rule = report.rules[PROSPECT]
    assert (rule.due, rule.erased, rule.deferred) == (2, 1, 1)
    assert rule.deferred_by == {"open request": 1}
    assert Contact.objects.get(pk=deferred.pk).erased_at is None
    assert Contact.objects.get(pk=erased.pk).erased_at is not None
    summary = AuditEvent.objects.get(action="retention.swept").summary
    assert summary["rules"][PROSPECT]["deferred"] == 1
    assert summary["rules"][PROSPECT]["deferred_by"] == {"open request": 1}
    text = " ".join(record.getMessage() for record in log)
    assert "1 deferred: open request" in text
    assert "PR-ABCD-EFGH" not in text  # counts in the log line, not reasons

    # The reason is gone (the request closed): the next run takes the subject.
    waiting.waiting.clear()
    report = retention_sweep(actor=None)
    assert (report.rules[PROSPECT].erased, report.rules[PROSPECT].deferred) == (1, 0)
    assert Contact.objects.get(pk=deferred.pk).erased_at is not None
    assert ErasureCertificate.objects.get(contact=deferred).trigger == "retention"


def test_the_command_and_its_dry_run_report_deferred_subjects(waiting):
    deferred, _ = stale_prospect(), stale_prospect()
    waiting.waiting[deferred.pk] = "PR-ABCD-EFGH"

    out = io.StringIO()
    call_command("retention_sweep", "--dry-run", stdout=out)
    assert f"{PROSPECT}: would erase 1 contact(s)" in out.getvalue()
    assert "1 deferred: open request" in out.getvalue()
    assert Contact.objects.filter(erased_at__isnull=False).count() == 0

    out = io.StringIO()
    call_command("retention_sweep", stdout=out)
    assert f"{PROSPECT}: erased 1 contact(s)" in out.getvalue()
    assert "1 deferred: open request (taken on a later run)" in out.getvalue()
    assert "Total: erased 1 contact(s). 1 deferred: open request." in out.getvalue()


def test_the_admin_shows_and_reports_the_deferral(client, waiting):
    from django.urls import reverse

    from privacy.tests.factories import UserFactory

    deferred, free = ContactFactory(), ContactFactory()
    waiting.waiting[deferred.pk] = "PR-ABCD-EFGH"
    officer = UserFactory(role="Privacy officer")
    client.force_login(officer)
    changelist = reverse("admin:privacy_contact_changelist")
    data = {"action": "erase_contacts", "_selected_action": [deferred.pk, free.pk]}

    page = client.post(changelist, data)
    assert page.context["deferred"] == 1
    assert "Deferred: open privacy request PR-ABCD-EFGH" in page.content.decode()

    done = client.post(changelist, {**data, "apply": "yes"}, follow=True)
    texts = [str(m) for m in done.context["messages"]]
    assert any("Erasure deferred: open privacy request PR-ABCD-EFGH" in t for t in texts)
    assert Contact.objects.get(pk=deferred.pk).erased_at is None
    assert Contact.objects.get(pk=free.pk).erased_at is not None
