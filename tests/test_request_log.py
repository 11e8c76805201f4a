"""The secret tokens of the public pages never reach a log: not Django's request log
(e.g. "Not Found: /privacy/status/<token>/"), not runserver's access log, not gunicorn's.
The servers are started for real, on a free loopback port, with the project's logging."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config.logs import mask_tokens

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "tOkEn-SeCrEt_0123456789abcdefXYZ"
PATHS = [
    f"/privacy/status/{TOKEN}/",
    f"/privacy/verify/{TOKEN}/",
    f"/privacy/appeal/{TOKEN}/",
    f"/privacy/download/{TOKEN}/?x=1",
    f"/preferences/{TOKEN}/",
]


def test_mask_tokens_keeps_the_page_and_hides_the_token():
    assert mask_tokens(f'"GET /privacy/status/{TOKEN}/ HTTP/1.1" 404') == (
        '"GET /privacy/status/[token]/ HTTP/1.1" 404'
    )
    assert mask_tokens("/privacy/verify/code/") == "/privacy/verify/code/"
    assert mask_tokens(f"http://x/preferences/{TOKEN}/") == "http://x/preferences/[token]/"


@pytest.mark.django_db
def test_djangos_request_log_masks_the_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/privacy/status/{TOKEN}/").status_code == 404
    assert "Not Found: /privacy/status/[token]/" in caplog.text
    assert TOKEN not in caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_log(command: list[str], port: int, tmp_path: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="False",
        DATABASE_URL=f"sqlite:///{tmp_path / 'log.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
            for path in PATHS:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}",
                    headers={"Referer": f"http://127.0.0.1:{port}/privacy/status/{TOKEN}/"},
                )
                # 4xx/5xx are fine: only the log matters.
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - loopback
            time.sleep(0.5)  # let the access log line of the last request be written
        finally:
            server.terminate()
            server.wait(timeout=30)
    return log.read_text()


def _assert_masked(output: str) -> None:
    assert TOKEN not in output
    for prefix in ("/privacy/status/", "/privacy/verify/", "/privacy/download/", "/preferences/"):
        assert f"{prefix}[token]/" in output, output


def test_runservers_access_log_masks_tokens(tmp_path):
    port = _free_port()
    output = _serve_and_log(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        port,
        tmp_path,
    )
    _assert_masked(output)


def test_gunicorns_access_log_masks_tokens(tmp_path):
    port = _free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    output = _serve_and_log(
        # gunicorn's default access-log format: request line, status, referrer…
        [gunicorn, "-c", "config/gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "config.wsgi"],
        port,
        tmp_path,
    )
    assert '"GET /privacy/status/[token]/ HTTP/1.1"' in output
    _assert_masked(output)
