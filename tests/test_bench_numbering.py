"""The consent benchmark's numbering (bench/consent_numbers.py) past 2M contacts, and the
guard that keeps its possibly real numbers from ever being texted. No big database:
the numbering is pure, and the seed's guards refuse before touching one."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import phonenumbers
import pytest
from django.core.management.base import CommandError
from django.test import override_settings

from bench import consent_numbers
from bench.seed_consent import Command

ROOT = Path(__file__).resolve().parents[1]
TEN_MILLION = 10_010_000  # 10M contacts and the 10,000 erased numbers after them


def _historical(g: int, areas: list[str]) -> str:
    """The seed's numbering before it went past 2M (a 1M database has these numbers)."""
    return f"+1{areas[g // 10000]}555{g % 10000:04d}"


def test_first_two_million_numbers_are_the_historical_555_ones():
    blocks = consent_numbers.blocks(TEN_MILLION)
    areas = [
        str(a)
        for a in range(201, 990)
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{a}5551234"))
    ]
    for g in [*range(0, 2_000_000, 9_973), 1_999_999]:
        assert consent_numbers.phone(blocks, g) == _historical(g, areas)
    assert consent_numbers.blocks(1_000_000) == blocks[:100]


def test_numbers_beyond_two_million_are_distinct_valid_and_not_555():
    blocks = consent_numbers.blocks(TEN_MILLION)
    assert len(set(blocks)) == len(blocks) == 1001
    assert all(not b.endswith("555") for b in blocks[consent_numbers.FICTIONAL_BLOCKS :])
    rng = random.Random(13)
    for g in (rng.randrange(2_000_000, TEN_MILLION) for _ in range(3000)):
        number = phonenumbers.parse(consent_numbers.phone(blocks, g))
        assert phonenumbers.is_valid_number(number), g


def test_load_generator_reads_an_old_area_file_and_a_new_block_file_alike(tmp_path):
    blocks = consent_numbers.blocks(1_000_000)
    old = tmp_path / "old.txt"
    old.write_text("\n".join(b[:3] for b in blocks) + "\n")
    new = tmp_path / "new.txt"
    consent_numbers.write_blocks(new, blocks, 1_000_000)
    assert consent_numbers.read_blocks(old) == consent_numbers.read_blocks(new) == blocks


def _seed(**opts):
    Command().handle(contacts=20, key_file="unused", areas_file="unused", reset=False, **opts)


@override_settings(CONSENT_SMS_GATEWAY="consent.sms.TwilioGateway")
def test_seed_refuses_a_gateway_that_could_text_the_numbers():
    with pytest.raises(CommandError, match="may be real"):
        _seed()


@override_settings(CONSENT_SMS_GATEWAY="consent.sms.ConsoleGateway")
def test_seed_under_the_console_gateway_goes_on_to_the_database_name_guard():
    with pytest.raises(CommandError, match="pbo_bench_"):
        _seed()


def test_bench_settings_force_the_console_gateway_whatever_the_environment():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import consent_bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    env = {**os.environ, **consent_bench.ENV,
           "CONSENT_SMS_GATEWAY": "consent.sms.TwilioGateway",
           "TWILIO_ACCOUNT_SID": "ACnot-a-real-account"}  # fmt: skip
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.CONSENT_SMS_GATEWAY)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.strip() == "consent.sms.ConsoleGateway"
