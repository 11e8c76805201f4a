"""``privacy.admin_kit.run_action``, the one way admin actions run a service per row,
seen through privacy's own admins: a form page before anything happens, an invalid form
shown again, the count of rows done, rows that needed nothing, the service's refusals
(the other rows still run) and the cap on how many rows one action takes."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from privacy.models import LegalHold
from privacy.services import legal_hold_place
from privacy.tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTACTS = reverse("admin:privacy_contact_changelist")
HOLDS = reverse("admin:privacy_legalhold_changelist")


@pytest.fixture
def officer(client):
    client.force_login(UserFactory(role="Privacy officer"))
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _post(client, url, action, objects, **data):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects], **data})


def test_the_form_page_comes_first_and_an_invalid_form_is_shown_again(officer):
    contact = ContactFactory()

    page = _post(officer, CONTACTS, "place_hold", [contact])
    assert page.status_code == 200
    assert page.templates[0].name == "admin/privacy/action_form.html"
    body = page.content.decode()
    assert str(contact) in body and 'name="apply"' in body

    invalid = _post(officer, CONTACTS, "place_hold", [contact], apply="yes", reason="")
    assert invalid.status_code == 200
    assert invalid.context["form"].errors["reason"]
    assert not LegalHold.objects.exists()


def test_rows_done_rows_that_needed_nothing_and_refusals_are_reported(officer):
    open_hold = legal_hold_place(actor=None, contact=ContactFactory(), reason="Matter 1")
    lifted = legal_hold_place(actor=None, contact=ContactFactory(), reason="Matter 2")
    LegalHold.objects.filter(pk=lifted.pk).update(lifted_at="2026-01-01T00:00:00Z")

    response = _post(officer, HOLDS, "lift", [open_hold, lifted])

    assert response.status_code == 302
    assert _messages(response) == [
        "Lifted 1 legal hold(s).",
        "Lift legal holds: 1 needed nothing (already done).",
    ]
    open_hold.refresh_from_db()
    assert open_hold.lifted_at is not None


def test_a_refusal_names_the_row_and_the_other_rows_still_run(officer):
    erased = ContactFactory()
    legal_hold_place(actor=None, contact=erased, reason="Matter 4")
    free = ContactFactory()

    response = _post(officer, CONTACTS, "erase_contacts", [erased, free], apply="yes")

    (done, refused) = _messages(response)
    assert done == "Erased 1 contact(s); certificates recorded."
    assert refused.startswith(f"Refused 1: Contact #{erased.pk}: ") and "Matter 4" in refused
    free.refresh_from_db()
    assert free.erased_at is not None


def test_more_rows_than_the_action_takes_are_refused_as_a_whole(officer, monkeypatch):
    import privacy.admin

    monkeypatch.setattr(privacy.admin, "CONTACT_SECTION_LIMIT", 2)
    contacts = ContactFactory.create_batch(3)

    response = _post(officer, CONTACTS, "erase_contacts", contacts, apply="yes")

    assert response.status_code == 302
    assert _messages(response) == ["Erase personal data: select at most 2 contacts at a time."]
    assert all(c.erased_at is None for c in ContactFactory._meta.model.objects.all())
