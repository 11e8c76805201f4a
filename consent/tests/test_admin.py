"""The consent admin (consent/admin.py): the pages staff use, and the ledger changelist at
scale (a bounded number of queries per page whatever the number of rows, no COUNT(*)
over the whole ledger, indexed searches only)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent import selectors, services
from consent.models import ApiKey, ConsentEvent, Notice
from consent.tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client):
    user = UserFactory(role="Privacy officer")
    client.force_login(user)
    return client


def test_changelists_and_contact_history_render(officer_client, contact, text):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    text("STOP")
    for name in ("purpose", "notice", "consentevent", "consentstate", "smssubscription",
                 "inboundmessage", "apikey", "cookieconsent", "sendernumber", "contactconsent"):  # fmt: skip
        response = officer_client.get(f"/admin/consent/{name}/")
        assert response.status_code == 200, name
    page = officer_client.get(f"/admin/consent/contactconsent/{contact.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Consent history" in body and "E-mail marketing" in body
    found = officer_client.get("/admin/consent/contactconsent/", {"q": "(415) 555-0111"})
    assert f"/admin/consent/contactconsent/{contact.pk}/change/" in found.content.decode()


def test_published_notice_is_read_only_in_admin(officer_client):
    notice = Notice.objects.get(purpose__code="email_marketing", version=1)
    response = officer_client.post(
        f"/admin/consent/notice/{notice.pk}/change/",
        {"purpose": notice.purpose_id, "kind": notice.kind, "language": "en", "text": "x"},
    )
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.text != "x"


def test_api_key_created_in_admin_is_shown_once(officer_client, customer):
    response = officer_client.post(
        "/admin/consent/apikey/add/", {"customer": customer.pk, "name": "crm"}, follow=True
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    key = ApiKey.objects.get(name="crm")
    assert any(f"pbo_{key.prefix}_" in m for m in shown)
    assert (
        f"pbo_{key.prefix}_"
        not in officer_client.get(f"/admin/consent/apikey/{key.pk}/change/").content.decode()
    )


# --- the ledger changelist at scale ----------------------------------------------------

LEDGER = ConsentEvent._meta.db_table


def _events(count: int) -> None:
    """``count`` events, each of another contact of another customer, half with a notice."""
    for n in range(count):
        customer = CustomerFactory()
        contact = ContactFactory(customer=customer)
        services.consent_event_record(
            actor=None, purpose="sale_sharing" if n % 2 else "email_marketing",
            action="grant", method="api", contact=contact,
            identifier="" if n % 2 else contact.email,
            notice=None if n % 2 else selectors.notice_published(purpose_code="email_marketing"),
        )  # fmt: skip


def _full_counts(queries) -> list[str]:
    """COUNT queries over the ledger not capped by a LIMIT subquery."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and LEDGER in q["sql"] and "LIMIT" not in q["sql"].upper()
    ]


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def _changelist(client, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/consent/consentevent/", params or {})
    assert response.status_code == 200
    return response, captured.captured_queries


def test_ledger_changelist_queries_are_bounded_and_never_count_the_whole_ledger(
    officer_client, django_assert_max_num_queries
):
    _events(3)
    _, few = _changelist(officer_client)
    _events(27)
    with django_assert_max_num_queries(12):
        response, many = _changelist(officer_client)

    assert len(many) == len(few)  # no query per row (customer, purpose, notice)
    assert _full_counts(many) == []
    assert len(response.context["cl"].result_list) == 30
    assert "30 consent events" in _text(response)


def test_filtered_and_searched_ledger_pages_count_at_most_a_capped_subquery(
    officer_client, contact
):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="api",
        contact=contact, identifier=contact.email, reference="SM0123",
    )  # fmt: skip
    for params in ({"purpose__id__exact": "1"}, {"q": str(contact.pk)}, {"q": "SM0123"}):
        _, queries = _changelist(officer_client, params)
        assert _full_counts(queries) == [], params
    by_contact, _ = _changelist(officer_client, {"q": f"#{contact.pk}"})
    by_reference, _ = _changelist(officer_client, {"q": "SM0123"})
    nobody, _ = _changelist(officer_client, {"q": "9" * 30})
    assert [e.contact_id for e in by_contact.context["cl"].result_list] == [contact.pk]
    assert [e.reference for e in by_reference.context["cl"].result_list] == ["SM0123"]
    assert nobody.context["cl"].result_count == 0


@pytest.mark.postgres
def test_unfiltered_ledger_total_is_the_planner_estimate_on_postgres(officer_client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the estimate comes from PostgreSQL's planner statistics")
    from privacy.admin_kit import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "cap", 5)
    _events(8)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LEDGER}")
    response, queries = _changelist(officer_client)
    assert any("reltuples" in q["sql"] for q in queries)
    assert _full_counts(queries) == []
    assert "about 8 consent events" in _text(response)
