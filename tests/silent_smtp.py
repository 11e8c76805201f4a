"""A mail server that accepts connections and never answers, for the tests of every
path that sends mail (issue 11: bounded timeouts, and failures never marked as sent).
Import the fixture into a test module: ``from tests.silent_smtp import silent_smtp``."""

from __future__ import annotations

import socket
import threading

import pytest


@pytest.fixture
def silent_smtp(settings):
    """A real TCP server that accepts connections and never says a word (no SMTP
    greeting), with the SMTP backend pointed at it and a small ``EMAIL_TIMEOUT``."""
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)  # kept open, never written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.getsockname()[1]
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 0.3
    yield
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
