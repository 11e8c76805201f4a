"""Template filters of staff pages (``{% load staff_display %}``): a staff member by name,
a time to the minute in the reader's time zone, an audit action and summary in words,
erasure counts in words (see ``privacy.display``)."""

from django import template

from privacy import display

register = template.Library()


@register.filter
def staff_name(user, system: str = display.SYSTEM_ACTOR) -> str:
    return display.staff_name(user, system=system)


@register.filter
def staff_time(value) -> str:
    return display.staff_time(value)


@register.filter
def audit_action(action: str) -> str:
    return display.audit_action_label(action)


@register.filter
def audit_summary(summary) -> list[str]:
    return display.audit_summary_words(summary)


@register.filter
def erased_words(counts) -> list[display.ErasedItem]:
    return display.erased_items(counts or {})


@register.filter
def kept_words(kept) -> list[display.KeptItem]:
    return display.kept_items(kept or [])
