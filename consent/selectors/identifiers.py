"""Identifiers as the consent app stores and matches them: e-mail match keys, phone
numbers and senders in E.164 (short codes as digits). Errors never echo the input."""

from __future__ import annotations

import functools
import re

import phonenumbers
from django.core.exceptions import ValidationError

from consent.models import Channel
from privacy.identifiers import email_match_key, normalize_email, parse_phone

_SHORT_CODE = re.compile(r"^\d{3,8}$")


def identifier_normalize(*, channel: str, raw: str, region: str | None = None) -> str:
    """The stored form of an identifier for a channel: the e-mail match key, or E.164.
    Raises ``ValidationError`` (never echoing the input)."""
    if channel == Channel.EMAIL:
        return email_match_key(normalize_email(raw))
    if channel in (Channel.SMS, Channel.PHONE):
        return _phone_e164(raw, region)
    raise ValidationError("This channel has no identifiers.", code="channel_invalid")


# "+1" and ten ASCII digits, the area code not starting with 0 or 1: the form in which
# messaging systems send North American numbers.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def _phone_e164(raw: str, region: str | None) -> str:
    """``parse_phone(raw, default_region=region).e164``, faster for a valid NANP number
    already in E.164, the form nearly every check brings.

    For such a string phonenumbers' parser can only produce country code 1 with the ten
    digits as the national number (no national prefix to strip, no extension, the
    region is not consulted), and its E.164 form is the string itself; so the general
    parser (about half of a check's phone work) is skipped and only the same validity
    test ``parse_phone`` applies is run, once per first seven digits
    (``_nanp_prefix_valid``). Anything else, including an invalid number (for its error
    message), goes through ``parse_phone``. Recipients are not cached: a send list
    rarely repeats a number, and such a cache would only grow. test_check.py holds this
    to ``parse_phone`` across the numbering plan."""
    value = raw.strip() if raw else ""
    if _NANP_E164.fullmatch(value) and _nanp_prefix_valid(value[:9]):
        return value
    return parse_phone(raw, default_region=region).e164


@functools.lru_cache(maxsize=65536)
def _nanp_prefix_valid(prefix: str) -> bool:
    """Whether the ten-digit North American numbers starting with ``prefix`` ("+1" and
    the first seven digits: area code, exchange, first line digit) are valid:
    phonenumbers' validity test for one of them. Every pattern of the +1 regions'
    metadata ends in at least three unconstrained digits and their leading-digit
    patterns read at most seven, so the test cannot tell numbers of one prefix apart
    (test_check.py proves it on the installed metadata). A list of a million numbers
    then costs a test per NPA-NXX-X, not per number; bounded like the quiet hours'
    exchange cache."""
    return phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix[2:] + "000"))
    )


def sender_normalize(raw: str, *, region: str | None = None) -> str:
    """A sender is a short code (digits only) or a phone number in E.164."""
    return _sender_normalize(raw or "", region)


@functools.lru_cache(maxsize=4096)
def _sender_normalize(raw: str, region: str | None) -> str:
    # A pure function of its arguments, and a customer has few senders: cached (errors
    # are not cached and raise each time).
    value = raw.strip()
    if _SHORT_CODE.match(value):
        return value
    try:
        return parse_phone(value, default_region=region).e164
    except ValidationError:
        raise ValidationError(
            "Not a valid sender: give a short code or a phone number.", code="sender_invalid"
        ) from None


def identifier_kind(channel: str) -> str:
    return "email" if channel == Channel.EMAIL else "phone"
