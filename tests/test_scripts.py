"""The demo script's environment: links in mails, texts and pages carry the port the
demo is served on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# No database needed; marked so that running this file alone sets one up for the
# session-wide connection clean-up of conftest.py.
pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _env_after_sourcing(**env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("PUBLIC_BASE_URL")}
    base.pop("PORT", None)
    result = subprocess.run(
        ["bash", "-c", "source scripts/run_env.sh && env"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_public_base_urls_follow_the_port():
    env = _env_after_sourcing(PORT="8123")
    assert env["REQUESTS_PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert env["CONSENT_PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    assert _env_after_sourcing()["REQUESTS_PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"


def test_an_explicit_base_url_wins():
    env = _env_after_sourcing(PORT="8123", REQUESTS_PUBLIC_BASE_URL="https://privacy.example.com")
    assert env["REQUESTS_PUBLIC_BASE_URL"] == "https://privacy.example.com"
    assert env["CONSENT_PUBLIC_BASE_URL"] == "https://privacy.example.com"
