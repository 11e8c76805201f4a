"""Issue 8, item 7: accountability survives a staff account. Deleting a staff user
nulled "performed by" on the erasure certificates they signed and left audit rows
pointing at nobody. Staff who acted can only be deactivated (the admin says why), the
ORM refuses the deletion, and creating, changing and deactivating staff users writes
audit rows (ids, flags, group names; no personal data)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import ProtectedError
from django.urls import reverse

from privacy.models import AuditEvent
from privacy.services import (
    contact_erase,
    contact_viewed,
    legal_hold_place,
    staff_user_deactivate,
)
from privacy.services.staff import staff_user_acts, staff_user_deletion_refusal
from privacy.tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_client(client):
    boss = UserFactory(is_superuser=True)
    client.force_login(boss)
    client.user = boss
    return client


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_database_keeps_who_signed_a_certificate():
    officer = UserFactory(role="Privacy officer")
    certificate = contact_erase(actor=officer, contact=ContactFactory())

    with pytest.raises(ProtectedError):
        officer.delete()

    certificate.refresh_from_db()
    assert certificate.performed_by_id == officer.pk
    event = AuditEvent.objects.get(action="contact.erased")
    assert event.actor_id == officer.pk and User.objects.filter(pk=officer.pk).exists()


@pytest.mark.parametrize("act", ["audit event", "legal hold"])
def test_any_act_keeps_the_account(act):
    agent = UserFactory(role="Support agent")
    contact = ContactFactory()
    if act == "audit event":
        contact_viewed(actor=agent, contact_id=contact.pk, via="admin")
    else:
        legal_hold_place(actor=agent, contact=contact, reason="Matter 7 litigation")

    assert staff_user_acts(agent)["audit events"] == 1
    if act == "legal hold":
        assert staff_user_acts(agent)["legal holds"] == 1
    with pytest.raises(ProtectedError):
        agent.delete()


def test_an_account_that_never_acted_can_still_be_deleted(admin_client):
    mistake = UserFactory()
    assert staff_user_deletion_refusal(mistake) is None

    url = reverse("admin:auth_user_delete", args=[mistake.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=mistake.pk).exists()


def test_the_admin_refuses_to_delete_staff_who_acted_and_says_why(admin_client):
    officer = UserFactory(role="Privacy officer")
    contact_erase(actor=officer, contact=ContactFactory())

    response = admin_client.get(reverse("admin:auth_user_delete", args=[officer.pk]), follow=True)

    text = messages_of(response)
    assert f"Staff user #{officer.pk} cannot be deleted" in text
    assert "1 audit events" in text and "1 erasure certificates" in text
    assert "Deactivate" in text
    assert response.redirect_chain[-1][0] == reverse("admin:auth_user_change", args=[officer.pk])
    # Posting the confirmation directly is refused the same way.
    admin_client.post(reverse("admin:auth_user_delete", args=[officer.pk]), {"post": "yes"})
    assert User.objects.filter(pk=officer.pk).exists()

    # And the bulk action.
    changelist = reverse("admin:auth_user_changelist")
    actions = admin_client.get(changelist).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {name for name, _ in actions}
    response = admin_client.post(
        changelist,
        {"action": "delete_users_who_never_acted", "_selected_action": [officer.pk]},
        follow=True,
    )
    assert "cannot be deleted" in messages_of(response)
    assert User.objects.filter(pk=officer.pk).exists()


def test_deactivating_keeps_the_records_and_is_audited(admin_client):
    officer = UserFactory(role="Privacy officer")
    certificate = contact_erase(actor=officer, contact=ContactFactory())

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_users", "_selected_action": [officer.pk, admin_client.user.pk]},
        follow=True,
    )

    text = messages_of(response)
    assert "Deactivated 1 user(s)." in text
    assert "cannot deactivate your own account" in text
    officer.refresh_from_db()
    assert officer.is_active is False
    assert User.objects.get(pk=admin_client.user.pk).is_active
    certificate.refresh_from_db()
    assert certificate.performed_by_id == officer.pk
    event = AuditEvent.objects.get(action="staff_user.deactivated")
    assert (event.actor_id, event.object_type, event.object_id) == (
        admin_client.user.pk,
        "user",
        str(officer.pk),
    )
    assert event.summary == {"user_id": officer.pk, "acted": True}
    # Running it again changes and records nothing.
    assert staff_user_deactivate(actor=admin_client.user, user=officer) is False
    assert AuditEvent.objects.filter(action="staff_user.deactivated").count() == 1


def test_creating_and_changing_staff_users_in_the_admin_is_audited(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new.officer",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new.officer")
    created = AuditEvent.objects.get(action="staff_user.created")
    assert created.actor_id == admin_client.user.pk and created.object_id == str(user.pk)
    assert created.summary == {
        "user_id": user.pk,
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
        "groups": [],
        "permissions": [],
    }

    officers = Group.objects.get(name="Privacy officer")
    response = admin_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "new.officer",
            "first_name": "Nadia",
            "last_name": "",
            "email": "nadia@staff.example.com",
            "is_active": "on",
            "is_staff": "on",
            "groups": [officers.pk],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_staff and user.groups.filter(name="Privacy officer").exists()
    changed = AuditEvent.objects.get(action="staff_user.changed")
    assert changed.summary == {
        "user_id": user.pk,
        "flags": {"is_staff": [False, True]},
        "groups_added": ["Privacy officer"],
        "fields": ["first_name", "email"],
    }
    text = str(created.summary) + str(changed.summary)
    for personal in ("new.officer", "Nadia", "nadia@"):
        assert personal not in text

    # Taking the group and the staff flag away is recorded the same way.
    erase = "privacy.erase_contact"
    permission = Permission.objects.get(content_type__app_label="privacy", codename="erase_contact")
    admin_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "new.officer",
            "first_name": "Nadia",
            "last_name": "",
            "email": "nadia@staff.example.com",
            "is_active": "on",
            "groups": [],
            "user_permissions": [permission.pk],
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )
    latest = AuditEvent.objects.filter(action="staff_user.changed").latest("id")
    assert latest.summary == {
        "user_id": user.pk,
        "flags": {"is_staff": [True, False]},
        "groups_removed": ["Privacy officer"],
        "permissions_added": [erase],
    }
