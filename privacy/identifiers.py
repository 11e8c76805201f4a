"""Normalisation of the identifiers people are found by: e-mail addresses and phone
numbers. Every entry point (services, admin import, bulk import, API, public forms)
goes through these functions, so one person is always stored and matched the same way.

E-mail: trimmed, domain lower-cased, local part as given; matched case-insensitively
through ``email_match_key``. Phone: E.164 via ``phonenumbers``, with the customer's
default region for national formats; an extension is returned separately.
Invalid input raises ``ValidationError`` whose message never repeats the input
(messages end up in logs and import reports)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

DEFAULT_REGION = "US"
_SPACES = re.compile(r"\s+")


def normalize_email(raw: str) -> str:
    """Return the stored form of an e-mail address or raise ``ValidationError``."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError("E-mail address is empty.", code="email_empty")
    if _SPACES.search(value) or value.count("@") != 1:
        raise ValidationError("Not a valid e-mail address.", code="email_invalid")
    local, domain = value.rsplit("@", 1)
    value = f"{local}@{domain.lower()}"
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError("Not a valid e-mail address.", code="email_invalid") from None
    return value


def email_match_key(normalized_email: str) -> str:
    """The case-insensitive key an e-mail address is matched (and deduplicated) by."""
    return normalized_email.lower()


@dataclass(frozen=True)
class ParsedPhone:
    e164: str
    extension: str | None
    region: str | None


# The North American formats exports use most, without an extension: "+1 415 555 0100",
# "(415) 555-0100", "415.555.0100", "1-415-555-0100", "+14155550100". ASCII digits only.
_NANP_COMMON = re.compile(
    r"(\+1[ .-]?|1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)"
    r"([0-9]{3})[ .-]?([0-9]{4})",
    re.ASCII,
)


def _parse_phone_fast(value: str, region: str) -> ParsedPhone | None:
    """``parse_phone`` of a valid number in one of the common North American formats,
    without phonenumbers' general parser (half the cost of a phone in a bulk import);
    None for anything else, an invalid number included (the general path then gives
    its answer or its error).

    For these strings the parser can only produce country code 1 and the ten digits as
    the national number (national prefix "1" stripped, no extension; with "+1" whatever
    the region, without it only for the region "US"), so only the validity test and the
    region lookup ``parse_phone`` applies are run, on that number. A property test
    (privacy/tests/test_identifiers_fast_phone.py) holds this to the general path."""
    match = _NANP_COMMON.fullmatch(value)
    if match is None or (region != "US" and not (match[1] or "").startswith("+")):
        return None
    digits = (match[2] or match[3]) + match[4] + match[5]
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    number_region = phonenumbers.region_code_for_number(number)
    if not phonenumbers.is_valid_number_for_region(number, number_region):
        return None
    return ParsedPhone(e164="+1" + digits, extension=None, region=number_region)


def parse_phone(raw: str, *, default_region: str | None = DEFAULT_REGION) -> ParsedPhone:
    """Parse a phone number in any common format into E.164 or raise ``ValidationError``.

    National formats use ``default_region`` (the customer's); a number written with a
    leading country code ("+44…", "1 415…" for NANP) needs none."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError("Phone number is empty.", code="phone_empty")
    region = (default_region or DEFAULT_REGION).upper()
    return _parse_phone_fast(value, region) or _parse_phone_general(value, region)


def _parse_phone_general(value: str, region: str) -> ParsedPhone:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Not a valid phone number.", code="phone_invalid") from None
    # is_valid_number() looks the region up itself; doing it once here and validating
    # for that region gives the same answer at ~16% less cost (it is the bulk imports'
    # hottest call).
    number_region = phonenumbers.region_code_for_number(number)
    if not phonenumbers.is_valid_number_for_region(number, number_region):
        raise ValidationError(
            "Not a valid phone number for its country (check the digits and the country code).",
            code="phone_invalid",
        )
    return ParsedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        extension=number.extension or None,
        region=number_region,
    )


def normalize_phone(raw: str, *, default_region: str | None = DEFAULT_REGION) -> str:
    """Return the E.164 form of a phone number or raise ``ValidationError``."""
    return parse_phone(raw, default_region=default_region).e164


def looks_like_email(query: str) -> bool:
    return "@" in query


def search_keys(
    query: str, *, default_region: str | None = DEFAULT_REGION
) -> list[tuple[str, str]]:
    """(kind, match_key) pairs a free-text admin search could mean; empty if none."""
    query = (query or "").strip()
    if not query:
        return []
    if looks_like_email(query):
        try:
            return [("email", email_match_key(normalize_email(query)))]
        except ValidationError:
            return []
    if sum(ch.isdigit() for ch in query) < 5:
        return []
    try:
        return [("phone", normalize_phone(query, default_region=default_region))]
    except ValidationError:
        return []
