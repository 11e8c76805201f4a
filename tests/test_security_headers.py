"""What the browser is told on public and admin pages: a Content-Security-Policy that
allows only this site's own scripts and styles (no inline code), Permissions-Policy,
Referrer-Policy, framing and sniffing refused. The browser test
(requests_app/tests/test_e2e_browser.py) checks that the pages still work under it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from privacy.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def _assert_secure_headers(response) -> None:
    policy = _policy(response)
    assert policy["default-src"] == "default-src 'none'"
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/privacy/request/", "/privacy/verify/code/", "/admin/login/"])
def test_public_and_login_pages_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_secure_headers(response)


@pytest.mark.django_db
def test_admin_pages_send_the_security_headers(client):
    client.force_login(UserFactory(role="Privacy officer"))
    for path in ("/admin/", "/admin/privacy/contact/", "/admin/requests_app/privacyrequest/"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_secure_headers(response)


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_no_template_of_ours_has_inline_script_or_style():
    """The policy allows no inline code: it must live in static files."""
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []
