"""The hot path: ``consent_check``, "may we message this identifier for this purpose
now?", behind ``GET /api/v1/consent/check``.

One SQL round trip: the suppression list (answered even when no contact holds the
identifier any more) → the live contact holding the identifier → its ConsentState rows,
with the SMS subscriptions as a sub-select. On PostgreSQL that query is a server-side
prepared statement (``consent.selectors.statements``). Anything doubtful answers "no"."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from consent.models import Channel, ConsentState, Notice, Purpose, SmsSubscription
from consent.quiet_hours import quiet_hours_at
from consent.selectors.identifiers import identifier_kind, identifier_normalize, sender_normalize
from consent.selectors.minors import is_minor_on
from consent.selectors.purposes import PurposeInfo, purpose_info
from consent.selectors.statements import _fetchall_prepared, _Statement
from privacy.hashing import identifier_hmacs_all_keys
from privacy.models import Contact, ContactIdentifier, Suppression


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    reason: str
    since: dt.datetime | None = None
    retry_at: dt.datetime | None = None

    def as_json(self) -> dict:
        data = {
            "allowed": self.allowed,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
        }
        if self.retry_at:
            data["retry_at"] = self.retry_at.isoformat()
        return data


def _as_datetime(value) -> dt.datetime | None:
    # SQLite hands raw SQL its datetimes naive (or as text); Django stores them in UTC.
    if value is not None and not isinstance(value, dt.datetime):
        value = parse_datetime(str(value))
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _state_since(value, in_utc: bool) -> dt.datetime | None:
    """A state's ``since`` as Django would read it: a UTC ``timestamp`` (``in_utc``)
    becomes the aware datetime Django's loader makes of the same moment in a UTC
    session (that wall time, labelled ``datetime.UTC``)."""
    if in_utc and value is not None:
        return value.replace(tzinfo=dt.UTC)
    return _as_datetime(value)


def _as_date(value) -> dt.date | None:
    # SQLite hands raw SQL its dates as text.
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(str(value))


# The suppression list is the driving row (an aggregate: always exactly one), so a
# suppressed identifier is answered even when no live contact holds it any more (an
# erased person); the contact holding the identifier, and its states, are joined to it.
_CHECK_SQL = """
SELECT x.id, x.is_restricted, sup.suppressed_on,
       {subscriptions} AS opted_out_subs,
       s.is_granted, {since}, s.sender, s.last_event_id, x.do_not_contact,
       x.is_minor, x.date_of_birth, x.country, x.state, x.sensitive_use_limited_at,
       s.objected, s.parental_consent, {notice_version} AS notice_version
  FROM (SELECT MAX(sp.created_on) AS suppressed_on FROM {suppression} sp
         WHERE sp.channel = %s AND sp.identifier_hmac IN ({hmacs}) AND sp.lifted_at IS NULL
           AND (sp.scope = 'global' OR sp.customer_id = %s)) sup
  LEFT JOIN (SELECT c.id, c.is_restricted, c.do_not_contact, c.is_minor, c.date_of_birth,
                    c.country, c.state, c.sensitive_use_limited_at, ci.customer_id,
                    ci.match_key
               FROM {identifier} ci
               JOIN {contact} c ON c.id = ci.contact_id
              WHERE ci.customer_id = %s AND ci.kind = %s AND ci.match_key = %s
                AND c.erased_at IS NULL) x ON 1 = 1
  LEFT JOIN {state} s ON s.contact_id = x.id AND s.purpose_id = %s AND s.identifier = %s
       {sender_filter}
  {notice_join}
"""
_SUBSCRIPTIONS_SQL = """(SELECT COUNT(*) FROM {subscription} sub
         WHERE sub.customer_id = x.customer_id AND sub.phone = x.match_key
           AND sub.program = %s AND sub.status = 'opted_out' {sender_filter})"""


@functools.lru_cache(maxsize=32)
def _check_statement(
    *,
    is_sms: bool,
    with_sender: bool,
    hmac_count: int,
    since_in_utc: bool,
    with_notice_version: bool = False,
) -> _Statement:
    """The consent check's query for one shape: SMS or not, with or without a sender,
    the number of suppression keys, how ``since`` is read, and whether the version of
    the deciding grant's notice is needed (only for a purpose with a material change).
    A handful of shapes in all.

    ``since_in_utc``: the state's time as a UTC ``timestamp``, which psycopg reads with
    its C loader, instead of the ``timestamptz`` Django reads with a pure-Python one
    (several microseconds a row). Only where Django's loader gives the same value: on
    PostgreSQL with the connection in UTC, where it labels the session's UTC wall
    time with UTC (see ``_state_since``)."""
    subscriptions_sql = "NULL"
    if is_sms:
        subscriptions_sql = _SUBSCRIPTIONS_SQL.format(
            subscription=SmsSubscription._meta.db_table,
            sender_filter="AND sub.sender = %s" if with_sender else "",
        )
    return _Statement.of(
        _CHECK_SQL.format(
            suppression=Suppression._meta.db_table,
            hmacs=", ".join(["%s"] * hmac_count),
            subscriptions=subscriptions_sql,
            identifier=ContactIdentifier._meta.db_table,
            contact=Contact._meta.db_table,
            state=ConsentState._meta.db_table,
            sender_filter="AND s.sender IN (%s, '')" if is_sms and with_sender else "",
            since="s.since AT TIME ZONE 'UTC'" if since_in_utc else "s.since",
            notice_version="n.version" if with_notice_version else "NULL",
            notice_join=(
                f"LEFT JOIN {Notice._meta.db_table} n ON n.id = s.notice_id"
                if with_notice_version
                else ""
            ),
        )
    )


@dataclass(frozen=True, order=True)
class _StateRow:
    """One state row of the check's answer; ordered by (since, last event), so the
    latest decision is ``max(rows)``."""

    since: dt.datetime
    last_event_id: int
    granted: bool
    sender: str
    objected: bool
    parental_consent: bool
    notice_version: int | None


def _program_for(purpose: PurposeInfo) -> str:
    return (
        SmsSubscription.Program.MARKETING
        if purpose.is_marketing
        else SmsSubscription.Program.INFORMATIONAL
    )


def consent_check(
    *,
    customer_id: int,
    channel: str,
    purpose_code: str,
    to: str,
    sender: str | None = None,
    default_region: str | None = None,
    now: dt.datetime | None = None,
) -> ConsentDecision:
    """May this customer message ``to`` on ``channel`` for ``purpose_code`` now — or,
    for a purpose about the person as a whole (channel "data": sale/sharing, sensitive
    data use), may it process the data of the person ``to`` names, ``channel`` then
    saying whether ``to`` is an e-mail address or a phone number?

    Raises ``ValidationError`` for a bad channel, purpose or identifier. Reasons:
    granted, legitimate_interest, no_consent, withdrawn, objected, limited, minor,
    reconfirmation_needed, subscription_opted_out, suppressed, restricted,
    do_not_contact, quiet_hours."""
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise ValidationError("channel must be sms or email.", code="channel_invalid")
    purpose = purpose_info(purpose_code)
    if purpose.channel != Channel.DATA and purpose.channel != channel:
        # (A "data" purpose takes either: ``channel`` names the kind of ``to``.)
        raise ValidationError(
            f"Purpose {purpose.code} is for the {purpose.channel} channel.", code="purpose_channel"
        )
    match_key = identifier_normalize(channel=channel, raw=to, region=default_region)
    # A sender only narrows SMS purposes; subscriptions and quiet hours are for texts.
    is_sms = purpose.channel == Channel.SMS
    sender_value = sender_normalize(sender, region=default_region) if sender and is_sms else None

    kind = identifier_kind(channel)
    hmacs = identifier_hmacs_all_keys(channel=kind, value=match_key)
    params: list = []
    if is_sms:
        params.append(_program_for(purpose))
        if sender_value:
            params.append(sender_value)
    params += [kind, *hmacs, customer_id]
    params += [customer_id, kind, match_key]
    params += [purpose.id, match_key if purpose.is_per_identifier else ""]
    if is_sms and sender_value:
        params.append(sender_value)
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy looks it up again
    since_in_utc = db.vendor == "postgresql" and db.timezone is dt.UTC
    statement = _check_statement(
        is_sms=is_sms,
        with_sender=bool(sender_value),
        hmac_count=len(hmacs),
        since_in_utc=since_in_utc,
        with_notice_version=purpose.material_version is not None,
    )
    rows = _fetchall_prepared(db, statement, params)

    first = rows[0]  # there is always one: the suppression aggregate drives the query
    suppressed_on = first[2]
    if first[0] is None:
        # No live contact holds it: an erased person's identifier may still be suppressed.
        return ConsentDecision(
            allowed=False, reason="suppressed" if suppressed_on else "no_consent"
        )
    if first[1]:
        return ConsentDecision(allowed=False, reason="restricted")
    if first[8]:
        # Asked never to be contacted: no consent on record overrides that.
        return ConsentDecision(allowed=False, reason="do_not_contact")
    if suppressed_on:
        # Only the person's own act from the identifier lifts a suppression (it is then
        # marked lifted and no longer read here); no consent on record overrides it.
        return ConsentDecision(allowed=False, reason="suppressed")
    now = now or timezone.now()
    minor = (
        purpose.is_marketing
        and (bool(first[9]) or first[10] is not None)
        and is_minor_on(
            is_minor=bool(first[9]),
            date_of_birth=_as_date(first[10]),
            country=first[11],
            state=first[12],
            on=timezone.localdate(now),
        )
    )
    opted_out_subs = first[3] or 0
    states = [
        _StateRow(
            since=_state_since(r[5], since_in_utc),
            last_event_id=r[7],
            granted=bool(r[4]),
            sender=r[6],
            objected=bool(r[14]),
            parental_consent=bool(r[15]),
            notice_version=r[16],
        )
        for r in rows
        if r[4] is not None
    ]
    limited_at = _as_datetime(first[13])
    limits_sensitive = purpose.code == Purpose.Code.SENSITIVE_DATA_USE and limited_at is not None
    if not states:
        if limits_sensitive:
            return ConsentDecision(allowed=False, reason="limited", since=limited_at)
        if minor:
            return ConsentDecision(allowed=False, reason="minor")
        if purpose.legal_basis != Purpose.LegalBasis.CONSENT and not opted_out_subs:
            return _after_quiet_hours(purpose, is_sms, match_key, now, "legitimate_interest", None)
        return ConsentDecision(allowed=False, reason="no_consent")
    latest = max(states)
    since = latest.since
    if latest.objected:
        return ConsentDecision(allowed=False, reason="objected", since=since)
    if not latest.granted:
        return ConsentDecision(allowed=False, reason="withdrawn", since=since)
    if is_sms and sender_value is None and any(not s.granted for s in states):
        # Opted out from some sender: without a sender we cannot say "yes" safely.
        reason = "objected" if any(s.objected for s in states) else "withdrawn"
        return ConsentDecision(allowed=False, reason=reason)
    if limits_sensitive and since <= limited_at:
        # The person asked us to limit the use of their sensitive data (Cal. Civ. Code
        # §1798.121; a limit request): only a grant given after it counts.
        return ConsentDecision(allowed=False, reason="limited", since=limited_at)
    if minor and not latest.parental_consent:
        # A grant without a parent's verified consent does not let us market to a minor.
        return ConsentDecision(allowed=False, reason="minor")
    if opted_out_subs:
        return ConsentDecision(allowed=False, reason="subscription_opted_out")
    if _reconfirmation_needed(purpose, latest, now):
        return ConsentDecision(allowed=False, reason="reconfirmation_needed", since=since)
    return _after_quiet_hours(purpose, is_sms, match_key, now, "granted", since)


def _reconfirmation_needed(purpose: PurposeInfo, latest: _StateRow, now: dt.datetime) -> bool:
    """A grant given before the purpose's notice changed materially, under an earlier
    version (or no notice), once the grace period after the change is over. A grant
    under the material version or a later one, or given after the change was
    published, stands."""
    if purpose.material_version is None or purpose.material_at is None:
        return False
    grace = dt.timedelta(days=settings.CONSENT_RECONFIRMATION_GRACE_DAYS)
    if now < purpose.material_at + grace or latest.since >= purpose.material_at:
        return False
    return latest.notice_version is None or latest.notice_version < purpose.material_version


def _after_quiet_hours(
    purpose: PurposeInfo,
    is_sms: bool,
    e164: str,
    now: dt.datetime | None,
    reason: str,
    since: dt.datetime | None,
) -> ConsentDecision:
    if is_sms and purpose.is_marketing:
        answer = quiet_hours_at(e164=e164, now=now or timezone.now())
        if answer.is_quiet:
            return ConsentDecision(
                allowed=False, reason="quiet_hours", since=since, retry_at=answer.retry_at
            )
    return ConsentDecision(allowed=True, reason=reason, since=since)
