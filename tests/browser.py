"""Shared by the browser tests: Debian's headless Chromium (never a downloaded browser),
axe-core's accessibility check, the Content-Security-Policy's complaints, and
screenshots for docs/ when asked for.

axe-core comes from the npm registry, installed by ``scripts/bootstrap.sh --browser``
into the git-ignored ``var/npm/``; it is injected into the page under test (that test's
context bypasses the site's Content-Security-Policy for the injection; the journeys run
under the policy and expect no violation)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
#: Set by scripts/screenshots.py: where the journeys save their screenshots.
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "")

browser_marks = [
    pytest.mark.browser,
    # scripts/screenshots.py runs these: they write docs/screenshots/ as they go.
    pytest.mark.screenshots,
    # Transactional: the live server's thread must see committed rows.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


def launch(playwright, *, bypass_csp: bool = False, **context_options):
    """Chromium and a context. The site's Content-Security-Policy applies unless
    ``bypass_csp`` (only to inject axe-core, which the policy rightly refuses)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(accept_downloads=True, bypass_csp=bypass_csp, **context_options)
    return browser, context


def record_csp_violations(page) -> list[str]:
    """Everything the Content-Security-Policy blocks on ``page`` (reported on the
    console): the pages must work under the policy, so a test expects none."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and found.append(f"{page.url}: {message.text}")
        ),
    )
    return found


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run scripts/bootstrap.sh --browser")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def shot(page, name: str) -> None:
    """Save a full-page screenshot as docs/screenshots/<name>.png when asked for."""
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def login(page, base_url: str, username: str, password: str = "correct horse battery") -> None:  # noqa: S107 - the factories' test password
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin/")
