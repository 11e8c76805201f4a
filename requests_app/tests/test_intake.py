"""Intake (requests_app/services/intake.py): free-request limits."""

import pytest

from requests_app import services
from requests_app.models import (
    Status,
)
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db


def test_second_access_request_in_12_months_under_ccpa_is_flagged_over_limit(
    django_capture_on_commit_callbacks,
):
    for _ in range(2):
        PrivacyRequestFactory(
            email="twice@example.org", status=Status.COMPLETED, request_type="access"
        )
    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None, request_type="access", country="US", state="CA", email="twice@example.org"
        )
    assert result.created and result.request.over_limit
