"""Read queries of the privacy core."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from privacy.hashing import identifier_hmacs_all_keys
from privacy.identifiers import search_keys
from privacy.minors import (
    AgeLimit,
    age_limits_in_force,
    age_on,
    born_after_is_minor,
    minor_age_limit,
)
from privacy.models import (
    OPEN_MINOR_STATES,
    Contact,
    ContactIdentifier,
    Customer,
    LegalHold,
    MinorErasure,
    RetentionRule,
    Suppression,
)


def contacts_matching_identifier(
    query: str, *, default_region: str | None = None
) -> QuerySet[Contact]:
    """Contacts holding the e-mail or phone the query means, in any common format."""
    keys = search_keys(query, default_region=default_region)
    if not keys:
        return Contact.objects.none()
    condition = Q()
    for kind, match_key in keys:
        condition |= Q(kind=kind, match_key=match_key)
    return Contact.objects.filter(
        pk__in=ContactIdentifier.objects.filter(condition).values("contact_id")
    )


def active_hold_reasons(
    contacts: Sequence[Contact], *, on: dt.date | None = None
) -> dict[int, str]:
    """{contact_id: reason} for contacts under an active hold, their own or their customer's."""
    on = on or timezone.localdate()
    holds = LegalHold.objects.active(on=on).covering(contacts)
    by_contact: dict[int, str] = {}
    by_customer: dict[int, str] = {}
    for hold in holds.only("id", "contact_id", "customer_id", "reason"):
        text = f"Legal hold #{hold.pk}: {hold.reason}"
        if hold.contact_id:
            by_contact.setdefault(hold.contact_id, text)
        else:
            by_customer.setdefault(hold.customer_id, f"{text} (on the whole customer)")
    reasons = {}
    for contact in contacts:
        reason = by_contact.get(contact.pk) or by_customer.get(contact.customer_id)
        if reason:
            reasons[contact.pk] = reason
    return reasons


def _held(on: dt.date) -> Q:
    return LegalHold.objects.active(on=on).covering_outer_contact()


RulesByScope = dict[tuple[str, int | None], RetentionRule]


def _active_rules(codes: tuple[str, ...]) -> RulesByScope:
    """Every active rule of these codes, defaults and overrides, in one query."""
    return {
        (rule.code, rule.customer_id): rule
        for rule in RetentionRule.objects.filter(code__in=codes, is_active=True)
    }


def _rule_in(rules: RulesByScope, code: str, customer: Customer | None) -> RetentionRule | None:
    return (customer is not None and rules.get((code, customer.pk))) or rules.get((code, None))


def retention_rule_for(code: str, customer: Customer | None = None) -> RetentionRule | None:
    """The customer's override of a rule if it has one, else the default."""
    return _rule_in(_active_rules((code,)), code, customer)


def customer_contract_end(
    customer: Customer, *, today: dt.date, rules: RulesByScope | None = None
) -> dt.date | None:
    """When the customer's contract ended: termination, or 5 years (the rule) unused."""
    if customer.status == Customer.Status.TERMINATED and customer.contract_ended_on:
        return customer.contract_ended_on
    code = RetentionRule.Code.CONTRACT_INACTIVITY
    inactivity = _rule_in(rules if rules is not None else _active_rules((code,)), code, customer)
    # A customer never seen using the platform has been unused since it was created.
    last_used = (customer.last_activity_at or customer.created_at).date()
    if inactivity and last_used + inactivity.period <= today:
        return last_used + inactivity.period
    return None


def customers_past_contract_end(*, today: dt.date) -> list[int]:
    """Ids of the customers whose data the contract-end rule says must go by ``today``:
    their contract ended (terminated, or unused for the inactivity rule's period) and
    the rule's period after it is over. Their contacts are swept; every other record of
    theirs with personal data (e.g. texts from numbers that matched no contact) goes
    with them."""
    code = RetentionRule.Code.CUSTOMER_CONTRACT_END
    due = []
    # Rules are read once for all customers, not per customer.
    rules = _active_rules((code, RetentionRule.Code.CONTRACT_INACTIVITY))
    for customer in Customer.objects.only(
        "id", "status", "contract_ended_on", "last_activity_at", "created_at"
    ).iterator():
        ended = customer_contract_end(customer, today=today, rules=rules)
        rule = _rule_in(rules, code, customer)
        if ended and _erases(rule) and ended + rule.period <= today:
            due.append(customer.pk)
    return due


def customers_held(*, today: dt.date) -> set[int]:
    """Ids of the customers under a legal hold placed on the whole customer."""
    return set(
        LegalHold.objects.active(on=today)
        .filter(customer__isnull=False)
        .values_list("customer_id", flat=True)
    )


def _erases(rule: RetentionRule | None) -> bool:
    # A rule (or a customer's override) set to "marker only" keeps the data.
    return rule is not None and rule.action == RetentionRule.Action.ERASE


def retention_cutoff(rule_code: str, *, today: dt.date) -> dt.datetime | None:
    """The moment before which what the default rule ``rule_code`` covers is due (the
    start of the day its period before ``today``); None when the rule keeps the data
    (absent, inactive or "marker only")."""
    rule = retention_rule_for(rule_code)
    if not _erases(rule):
        return None
    return timezone.make_aware(dt.datetime.combine(today - rule.period, dt.time.min))


def _candidates_for_rule(rule_code: str, *, today: dt.date) -> QuerySet[Contact]:
    """Contacts (not yet erased) whose retention period under ``rule_code`` is over."""
    live = Contact.objects.filter(erased_at__isnull=True)
    if rule_code == RetentionRule.Code.CUSTOMER_CONTRACT_END:
        return live.filter(customer_id__in=customers_past_contract_end(today=today))
    kind = {
        RetentionRule.Code.PROSPECT_LAST_CONTACT: Contact.Kind.PROSPECT,
        RetentionRule.Code.COOKIE_DATA: Contact.Kind.SITE_VISITOR,
        RetentionRule.Code.UNUSED_ACCOUNT: Contact.Kind.ACCOUNT_HOLDER,
    }.get(rule_code)
    cutoff = retention_cutoff(rule_code, today=today) if kind is not None else None
    if cutoff is None:
        return live.none()
    return (
        live.filter(customer__isnull=True, kind=kind)
        .annotate(last_seen=Coalesce("last_interaction_at", "created_at"))
        .filter(last_seen__lt=cutoff)
    )


SWEPT_RULES = (
    RetentionRule.Code.CUSTOMER_CONTRACT_END,
    RetentionRule.Code.PROSPECT_LAST_CONTACT,
    RetentionRule.Code.COOKIE_DATA,
    RetentionRule.Code.UNUSED_ACCOUNT,
)


def contacts_due_for_retention(
    rule_code: str, *, today: dt.date | None = None, batch_size: int = 500
) -> Iterator[list[int]]:
    """Batches of ids of contacts to erase under a rule, walking by primary key so memory
    stays constant whatever the table's size. Held contacts are left out."""
    today = today or timezone.localdate()
    queryset = _candidates_for_rule(rule_code, today=today).exclude(_held(today))
    yield from ids_in_batches(queryset, batch_size=batch_size)


def ids_in_batches(queryset: QuerySet, *, batch_size: int) -> Iterator[list[int]]:
    """Primary keys of ``queryset`` in ascending batches, walking by key (keyset
    pagination): memory stays constant whatever the table's size, and rows the caller
    changes or deletes between batches do not shift the next batch."""
    last_id = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1]


def contacts_held_from_retention(rule_code: str, *, today: dt.date | None = None) -> int:
    """How many contacts a rule would erase but for a legal hold."""
    today = today or timezone.localdate()
    return _candidates_for_rule(rule_code, today=today).filter(_held(today)).count()


def identifier_is_suppressed(
    *,
    channel: str,
    value: str,
    customer_id: int | None,
    include_global: bool = True,
    any_customer: bool = False,
) -> bool:
    """Whether a normalised identifier is on the suppression list for this customer
    (or globally, unless ``include_global`` is False), not lifted since.
    ``any_customer``: on the list in any scope at all (what our own messages ask)."""
    digests = identifier_hmacs_all_keys(channel=channel, value=value)
    scope = Q(scope=Suppression.Scope.GLOBAL) if include_global else Q(pk__in=[])
    if any_customer:
        scope = Q()
    elif customer_id:
        scope |= Q(customer_id=customer_id)
    return Suppression.objects.filter(
        scope, channel=channel, identifier_hmac__in=digests, lifted_at__isnull=True
    ).exists()


def contact_outbound_block_reason(*, contact: Contact, channel: str, to: str) -> str | None:
    """Why nothing privacy sends (the notice of a compelled disclosure) may go to ``to``
    (a normalised address or number of ``contact``) on ``channel`` ("email" or "sms"), or
    None. privacy's own floor first — the contact asked not to be contacted, the
    identifier is suppressed — then every guard the upper apps registered
    (``privacy.registry.register_outbound_guard``: consent's full guard, which also sees
    other contacts holding the identifier and SMS opt-outs)."""
    from privacy.registry import outbound_guards

    if contact.do_not_contact:
        return "do_not_contact"
    kind = "email" if channel == "email" else "phone"
    if identifier_is_suppressed(channel=kind, value=to, customer_id=contact.customer_id):
        return "suppressed"
    for _key, guard in outbound_guards():
        reason = guard(channel=channel, to=to, customer_id=contact.customer_id)
        if reason:
            return reason
    return None


# --- minors --------------------------------------------------------------------------


@dataclass(frozen=True)
class MinorStatus:
    """Whether a contact is a minor on a day, and why."""

    is_minor: bool
    #: "flag" or "birth_date" when a minor; "" otherwise.
    basis: str
    limit: AgeLimit


def contact_minor_status(contact: Contact, *, on: dt.date | None = None) -> MinorStatus:
    """Whether ``contact`` is a minor on ``on``: marked as one (staff, import, API), or
    born less than the age limit of where they live (``privacy.minors``) before ``on``.
    A flag of False does not outweigh a birth date that says otherwise."""
    on = on or timezone.localdate()
    limit = minor_age_limit(country=contact.country, state=contact.state, on=on)
    if contact.is_minor:
        return MinorStatus(True, MinorErasure.Basis.FLAG, limit)
    if contact.date_of_birth and age_on(contact.date_of_birth, on) < limit.age:
        return MinorStatus(True, MinorErasure.Basis.BIRTH_DATE, limit)
    return MinorStatus(False, "", limit)


def contact_is_minor(contact: Contact, *, on: dt.date | None = None) -> bool:
    return contact_minor_status(contact, on=on).is_minor


def _minor_by_birth_date(on: dt.date) -> Q:
    """Contacts whose birth date makes them minors on ``on``, in one condition: the
    jurisdictions the table or the setting names with their age, everyone else with the
    default age. Grouped by age, so the condition stays small."""
    limits, default = age_limits_in_force(on)
    states_of: dict[str, list[str]] = defaultdict(list)
    for key in limits:
        country, _, state = key.partition("-")
        if state:
            states_of[country].append(state)
    by_age: dict[int, Q] = defaultdict(Q)
    named = Q()
    for key, age in limits.items():
        country, _, state = key.partition("-")
        if state:
            place = Q(country=country, state=state)
        else:
            place = Q(country=country) & ~Q(state__in=states_of.get(country, []))
            if not states_of.get(country):
                place = Q(country=country)
        named |= place
        by_age[age] |= place
    condition = Q(pk__in=[])
    for age, place in by_age.items():
        condition |= place & Q(date_of_birth__gt=born_after_is_minor(age, on))
    # Django's negation keeps rows whose country is NULL (unknown: the default applies).
    everyone_else = ~named if named else Q()
    condition |= everyone_else & Q(date_of_birth__gt=born_after_is_minor(default, on))
    return condition


def contacts_known_minor(*, on: dt.date | None = None) -> QuerySet[Contact]:
    """Contacts not erased that are minors on ``on`` (by the flag or by birth date)."""
    on = on or timezone.localdate()
    return Contact.objects.filter(erased_at__isnull=True).filter(
        Q(is_minor=True) | (Q(date_of_birth__isnull=False) & _minor_by_birth_date(on))
    )


def minors_to_schedule(*, on: dt.date | None = None) -> QuerySet[Contact]:
    """Known minors with no entry in the minors' queue yet. A cancelled entry is not
    reopened by the nightly job (staff decided); marking the contact as a minor again
    (``contact_minor_flag``) reopens it."""
    return contacts_known_minor(on=on).exclude(
        Exists(MinorErasure.objects.filter(contact_id=OuterRef("pk")))
    )


def minor_erasures_due(*, now: dt.datetime) -> QuerySet[MinorErasure]:
    """Open entries of the minors' queue whose grace period is over (index
    ``minor_erasure_open``); held and waiting ones are tried again every night."""
    return MinorErasure.objects.filter(state__in=OPEN_MINOR_STATES, erase_after__lte=now)
