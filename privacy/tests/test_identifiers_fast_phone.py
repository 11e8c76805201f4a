"""``parse_phone``'s fast path for common North American formats
(``privacy.identifiers._parse_phone_fast``) agrees with phonenumbers' general parser on
every number it answers for, and leaves everything else to it.

Pure functions: no database."""

from __future__ import annotations

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privacy.identifiers import _parse_phone_fast, _parse_phone_general, parse_phone

REGIONS = ["US", "CA", "GB", "DE", "JM", "PR", "FR"]
SEPARATORS = ["", " ", "-", ".", "  ", "/", "\u2013"]


def _general(value: str, region: str):
    try:
        return _parse_phone_general(value, region)
    except ValidationError:
        return None


@st.composite
def written_numbers(draw) -> str:
    """A number as people and exports write it: every area code and exchange, the
    formats the fast path knows and near misses of them."""
    area = draw(st.integers(0, 999))
    exchange = draw(st.integers(0, 999))
    line = draw(st.integers(0, 9999))
    sep1, sep2 = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(SEPARATORS))
    prefix = draw(
        st.sampled_from(["", "+1", "+1 ", "1", "1 ", "1-", "+1-", "+1.", "+", "01", "+44 "])
    )
    area_text = draw(
        st.sampled_from([f"{area:03d}", f"({area:03d})", f"({area:03d}) ", f"({area:03d}"])
    )
    suffix = draw(st.sampled_from(["", "", "", " x12", " ext. 7", "#9", "0", " "]))
    return f"{prefix}{area_text}{sep1}{exchange:03d}{sep2}{line:04d}{suffix}"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_numbers(), st.sampled_from(REGIONS))
@example("(415) 555-0100", "US")
@example("+1 415 555 0100", "GB")
@example("1 415 555 0100", "GB")  # no "+": the region decides, not the fast path
@example("14155550100", "US")
@example("(212)555-0100", "US")
@example("+1 (800) 555-0100", "DE")
def test_fast_path_agrees_with_phonenumbers(value, region):
    fast = _parse_phone_fast(value, region)
    if fast is not None:
        assert fast == _general(value, region)
        assert phonenumbers.is_valid_number(phonenumbers.parse(fast.e164))


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet="0123456789+()-. x\uff11\uff12\uff13\u0663", max_size=20),
    st.sampled_from(REGIONS),
)
def test_fast_path_never_answers_for_what_the_parser_reads_otherwise(value, region):
    fast = _parse_phone_fast(value, region)
    if fast is not None:
        assert fast == _general(value, region)


@pytest.mark.parametrize(
    "value",
    ["(415) 555-0100", "415.555.0100", "+1 415 555 0100", "14155550100", "+14155550100"],
)
def test_common_formats_take_the_fast_path(value):
    assert _parse_phone_fast(value, "US") == parse_phone(value) == _general(value, "US")


@pytest.mark.parametrize(
    "value",
    [
        "415-555-0100 x12",
        "+44 20 7946 0958",
        "(415) 555-01000",
        "".join(chr(0xFF10 + int(d)) for d in "4155550100"),  # full-width digits
        "+1 123 555 0100",
    ],
)
def test_everything_else_takes_the_general_path(value):
    assert _parse_phone_fast(value, "US") is None
