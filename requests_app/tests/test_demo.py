"""The demo seeder creates requests in several states without errors."""

import random

import pytest

from privacy.tests.factories import ContactFactory
from requests_app.demo import seed_demo_requests
from requests_app.models import PrivacyRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_requests(django_capture_on_commit_callbacks):
    contacts = ContactFactory.create_batch(20, customer=None)
    with django_capture_on_commit_callbacks(execute=True):
        counts = seed_demo_requests(contacts=contacts, rng=random.Random(7))
    assert sum(counts.values()) == PrivacyRequest.objects.count() > 20
    assert len(counts) >= 3
