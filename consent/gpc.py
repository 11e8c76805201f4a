"""Global Privacy Control on every public page (11 CCR §7025): which contacts a visitor
can be tied to, so that a ``Sec-GPC: 1`` they send anywhere on the public site is
honoured for those people.

A visitor is tied to a contact by:

- **a page that names them by token**: the preference centre's signed link, and the
  pages other apps register (requests_app: a verified request's status and appeal pages
  name the contacts the request matched) — ``gpc_contact_resolver_register``;
- **the browser session** in which such a page was opened (the contact ids are kept in
  the session under ``SESSION_KEY``; ids only);
- **the visitor cookie** of the cookie banner, linked to the contact when a page named
  them in that browser (``VisitorLink``).

``consent.middleware.GlobalPrivacyControlMiddleware`` asks this module on every public
page; the signal is recorded once per contact (``contact_gpc_signal_record``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest

from consent.models import VisitorLink
from privacy.models import Contact

#: Session key holding the ids of the contacts this browser session is tied to.
SESSION_KEY = "consent_gpc_contact_ids"
#: Session key holding the ids of the contacts whose GPC signal was already recorded.
RECORDED_KEY = "consent_gpc_recorded_ids"
# At most this many contacts per session (a person has few; bounded whatever happens).
_SESSION_MAX = 20

ContactResolver = Callable[[dict], Iterable[Contact]]
_resolvers: dict[str, ContactResolver] = {}


def gpc_contact_resolver_register(url_name: str, resolver: ContactResolver) -> None:
    """``resolver(view_kwargs)`` returns the live contacts the page ``url_name``
    ("namespace:name") names, e.g. from its token; never raises for a bad token (it
    returns nothing). The same name again replaces it (autoreload-safe)."""
    _resolvers[url_name] = resolver


def _preference_centre_contacts(view_kwargs: dict) -> list[Contact]:
    from consent.selectors import PreferenceLinkExpired, preference_token_contact

    try:
        contact = preference_token_contact(str(view_kwargs.get("token", "")))
    except PreferenceLinkExpired:
        return []
    return [contact] if contact is not None else []


gpc_contact_resolver_register("consent:preference_centre", _preference_centre_contacts)


def visitor_id_of(request: HttpRequest) -> uuid.UUID | None:
    value = request.COOKIES.get(settings.CONSENT_VISITOR_COOKIE_NAME)
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def page_contacts(request: HttpRequest, url_name: str, view_kwargs: dict) -> list[Contact]:
    """The contacts the page itself names (no database write)."""
    resolver = _resolvers.get(url_name)
    if resolver is None:
        return []
    return [c for c in resolver(view_kwargs) if c is not None and not c.erased_at]


def visitor_tie(request: HttpRequest, contacts: list[Contact]) -> None:
    """Remember, for this browser, the contacts a page named: in the session, and as
    links of the visitor cookie (if the browser has one)."""
    if not contacts:
        return
    ids = [c.pk for c in contacts]
    session = getattr(request, "session", None)
    if session is not None:
        known = list(session.get(SESSION_KEY, []))
        fresh = [pk for pk in ids if pk not in known]
        if fresh:
            session[SESSION_KEY] = (known + fresh)[-_SESSION_MAX:]
    visitor_id = visitor_id_of(request)
    if visitor_id is not None:
        VisitorLink.objects.bulk_create(
            [VisitorLink(visitor_id=visitor_id, contact_id=pk) for pk in ids],
            ignore_conflicts=True,
        )


def tied_contacts(request: HttpRequest, page: list[Contact]) -> list[Contact]:
    """Every live contact this visitor is tied to: the page's, the session's, the
    visitor cookie's."""
    ids = {c.pk for c in page}
    session = getattr(request, "session", None)
    if session is not None:
        ids.update(pk for pk in session.get(SESSION_KEY, []) if isinstance(pk, int))
    visitor_id = visitor_id_of(request)
    if visitor_id is not None:
        ids.update(
            VisitorLink.objects.filter(visitor_id=visitor_id).values_list("contact_id", flat=True)
        )
    if not ids:
        return []
    return list(Contact.objects.filter(pk__in=ids, erased_at__isnull=True).order_by("pk"))
