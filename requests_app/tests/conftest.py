"""Fixtures of the requests app's tests."""

import pytest
from django.core.cache import cache
from django.core.files.storage import storages

from consent import selectors, sms
from requests_app.models import ExportPackage, PrivacyRequest


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    """Fresh rate-limit counters, SMS outbox and private storage per test."""
    cache.clear()
    # Verification codes and SMS notices go through the consent app's one gateway.
    sms.outbox.clear()
    selectors.caches_clear()  # no customer's sender of an earlier test, cached
    settings.CONSENT_SMS_GATEWAY = "consent.sms.LocmemGateway"
    settings.REQUESTS_SMS_FROM_NUMBER = "+13125550199"
    settings.REQUESTS_PUBLIC_BASE_URL = "http://testserver"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    # File fields resolve their storage once, at import: point them at the same place.
    private = storages["private"]
    for model, field_name in ((PrivacyRequest, "agent_proof"), (ExportPackage, "file")):
        monkeypatch.setattr(model._meta.get_field(field_name), "storage", private)
    yield
    cache.clear()
    selectors.caches_clear()


class _CommittingClient:
    """The test client, but on-commit callbacks (mail, queued tasks) run after each
    request, as they would after the request's transaction commits in production."""

    def __init__(self, client, capture):
        self._client = client
        self._capture = capture

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get(self, *args, **kwargs):
        with self._capture(execute=True):
            return self._client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with self._capture(execute=True):
            return self._client.post(*args, **kwargs)


@pytest.fixture
def client(client, django_capture_on_commit_callbacks):
    return _CommittingClient(client, django_capture_on_commit_callbacks)
