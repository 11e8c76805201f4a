"""The consent demo data (consent/demo.py): a history without drift."""

from __future__ import annotations

import random

import pytest

from consent import services
from consent.demo import seed_demo_consent
from consent.models import ConsentEvent
from consent.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_history_without_drift(customer):
    contacts = [
        ContactFactory(customer=customer, phone=f"+1415555030{i}", email=f"d{i}@ex.org")
        for i in range(10)
    ]
    counts = seed_demo_consent(contacts=contacts, rng=random.Random(7))
    assert counts["grants"] > 0
    assert ConsentEvent.objects.exists()
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
