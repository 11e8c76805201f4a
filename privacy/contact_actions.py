"""Actions other apps offer on privacy's contact page, without privacy importing them.

The contact page is where a support agent lands with a caller on the line ("stop
texting me"), so the things staff do about a contact in other apps start there. An app
registers a ``ContactPageAction`` from its ``AppConfig.ready`` (as with privacy's
personal-data registry); the contact page lists those the user may use, as links to
the app's own admin pages, which do the work through that app's services.

A registered action names an admin URL (reversed with the contact's id), the permission
a user needs, and whether it applies to an erased contact."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class ContactPageAction:
    key: str
    label: str
    url_name: str  # reversed with args=[contact.pk]
    permission: str  # "app_label.codename" the user needs
    description: str = ""
    order: int = 100
    for_erased: bool = False


_actions: dict[str, ContactPageAction] = {}


def contact_page_action_register(action: ContactPageAction) -> None:
    """Add an action (registering the same key again replaces it: autoreload-safe)."""
    _actions[action.key] = action


def contact_page_actions(*, user, contact) -> list[tuple[ContactPageAction, str]]:
    """(action, url) pairs the user may use on this contact, in order. Actions whose URL
    does not resolve (the app's admin is not mounted) are left out."""
    found = []
    for action in sorted(_actions.values(), key=lambda a: (a.order, a.key)):
        if contact.erased_at and not action.for_erased:
            continue
        if not user.has_perm(action.permission):
            continue
        try:
            url = reverse(action.url_name, args=[contact.pk])
        except NoReverseMatch:
            continue
        found.append((action, url))
    return found
