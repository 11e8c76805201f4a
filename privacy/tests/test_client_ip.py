"""privacy.http.client_ip: X-Forwarded-For is believed only as far as trusted proxies
wrote it."""

import pytest
from django.test import RequestFactory

from privacy.http import client_ip


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # No trusted proxy: the header is ignored, whatever it says.
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # A connection from outside the trusted networks: its header is its own claim.
        (["10.0.0.0/8"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # From the trusted proxy: the address it appended (rightmost) is the client;
        # whatever the client itself put further left is ignored.
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Two trusted hops (CDN then load balancer).
        (["10.0.0.0/8", "192.0.2.10"], "10.0.0.5", "198.51.100.1, 192.0.2.10", "198.51.100.1"),
        # The proxy sent no header: the proxy is all we know.
        (["10.0.0.0/8"], "10.0.0.5", None, "10.0.0.5"),
        # Garbage in the header: stop at the last good hop.
        (["10.0.0.0/8"], "10.0.0.5", "198.51.100.1, not-an-ip", "10.0.0.5"),
        # Ports and IPv6 brackets as some proxies write them.
        (["10.0.0.0/8"], "10.0.0.5", "[2001:db8::7]:443", "2001:db8::7"),
        (["::1"], "::1", "198.51.100.4:5123", "198.51.100.4"),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(remote, forwarded)) == expected
