"""Fixtures of the cross-app tests: the requests app's, so that a test here sees what
one there sees (private storage in a temporary folder, fresh rate limits and SMS
outbox, a test client whose on-commit callbacks run after each request)."""

from requests_app.tests.conftest import _isolated, client

__all__ = ["_isolated", "client"]
