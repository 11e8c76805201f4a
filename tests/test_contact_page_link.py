"""The privacy contact page links to the contact's consent history (privacy does not
import consent: it reverses consent's admin URL name and leaves the link out when that
does not exist or the user may not view consent data)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from consent import services
from consent.tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return ContactFactory(phone="+14155550111", email="ann@example.org")


def _page(client, user, contact):
    client.force_login(user)
    response = client.get(reverse("admin:privacy_contact_change", args=[contact.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_contact_page_links_to_the_consent_history(client, contact):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    history_url = reverse("admin:consent_contactconsent_change", args=[contact.pk])

    body = _page(client, UserFactory(role="Support agent"), contact)

    assert f'href="{history_url}" id="consent-history-link"' in body
    history = client.get(history_url)
    assert history.status_code == 200
    assert "Consent history" in history.content.decode()
    assert "E-mail marketing" in history.content.decode()


def test_no_link_for_staff_who_may_not_see_consent(client, contact):
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="privacy", codename="view_contact")
    )
    body = _page(client, user, contact)
    assert "consent-history-link" not in body
    assert "/admin/consent/" not in body


def test_no_link_and_no_error_when_the_consent_admin_is_not_there(client, contact, monkeypatch):
    import privacy.admin

    real_reverse = privacy.admin.reverse

    def reverse_without_consent(name, *args, **kwargs):
        if name.startswith("admin:consent_"):
            raise NoReverseMatch(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(privacy.admin, "reverse", reverse_without_consent)
    body = _page(client, UserFactory(role="Privacy officer"), contact)
    assert "consent-history-link" not in body
    assert 'id="identifiers-section"' in body


def test_consent_history_search_posts_and_carries_ids_only(client):
    """Finding a person's consent history by phone or e-mail keeps the identifier out
    of the URL, like the contact list."""
    from django.urls import reverse

    from privacy.tests.factories import ContactFactory, UserFactory

    contact = ContactFactory(phone="+14155550177", email="history.search@example.org")
    client.force_login(UserFactory(role="Privacy officer"))
    response = client.post(reverse("admin:consent_contactconsent_search"), {"q": "(415) 555-0177"})
    assert response.status_code == 302 and "555" not in response.url
    found = client.get(response.url).context["cl"].result_list
    assert [c.pk for c in found] == [contact.pk]
