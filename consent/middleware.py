"""Global Privacy Control on every public page (11 CCR §7025(c)): a ``Sec-GPC: 1`` from
a visitor who can be tied to a contact (``consent.gpc``) records that contact's opt-out
of sale/sharing (method GPC, with the page and the user agent as evidence), once per
contact. Pages that name contacts by token also tie the browser to them (session,
visitor cookie), so the signal is honoured on the other public pages too.

Public pages are the views of the ``consent`` and ``requests_app`` URL namespaces, less
the JSON API and the SMS webhook. Admin and API requests cost nothing here."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from consent import gpc

logger = logging.getLogger(__name__)

PUBLIC_NAMESPACES = frozenset({"consent", "requests_app"})
_NOT_PAGES = frozenset({"sms_inbound"})
_RECORDED_MAX = 20


class GlobalPrivacyControlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            match is None
            or match.namespace not in PUBLIC_NAMESPACES
            or match.url_name in _NOT_PAGES
            or (match.url_name or "").startswith("api_")
        ):
            return None
        try:
            self._honour(request, match, view_kwargs)
        except Exception as exc:
            # The page is still served; the failure is logged without personal data and
            # the next page with the signal tries again (nothing was marked recorded).
            logger.error("GPC signal not recorded on %s: %s", match.url_name, type(exc).__name__)
        return None

    def _honour(self, request: HttpRequest, match, view_kwargs: dict) -> None:
        from consent import services

        page = gpc.page_contacts(request, f"{match.namespace}:{match.url_name}", view_kwargs)
        gpc.visitor_tie(request, page)
        if request.headers.get("Sec-GPC", "").strip() != "1":
            return
        session = getattr(request, "session", None)
        recorded = set(session.get(gpc.RECORDED_KEY, [])) if session is not None else set()
        for contact in gpc.tied_contacts(request, page):
            if contact.pk in recorded:
                continue
            services.contact_gpc_signal_record(
                contact=contact,
                # The route, never the path: the path of a token page holds the token.
                page_url="/" + match.route,
                user_agent=request.headers.get("User-Agent"),
            )
            recorded.add(contact.pk)
        if session is not None and recorded:
            session[gpc.RECORDED_KEY] = sorted(recorded)[-_RECORDED_MAX:]
