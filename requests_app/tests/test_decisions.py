"""Staff decisions (requests_app/services/decisions.py): extension rules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from requests_app import services
from requests_app.models import (
    Status,
)
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db


def test_extension_only_once_and_only_before_the_original_due_date():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="ccpa")
    with pytest.raises(ValidationError, match="has passed"):
        services.privacy_request_extend(
            actor=None,
            request=request,
            reason="Complex request",
            today=request.due_on + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="reason"):
        services.privacy_request_extend(actor=None, request=request, reason=" ")
    extended = services.privacy_request_extend(
        actor=None, request=request, reason="Many systems to search", today=request.due_on
    )
    assert extended.extended_due_on == request.due_on + dt.timedelta(days=45)
    assert extended.deadline_on == extended.extended_due_on
    with pytest.raises(ValidationError, match="already been extended"):
        services.privacy_request_extend(actor=None, request=extended, reason="Again")


def test_opt_out_rule_allows_no_extension():
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="ccpa_opt_out", request_type="opt_out_sale"
    )
    with pytest.raises(ValidationError, match="no extension"):
        services.privacy_request_extend(actor=None, request=request, reason="Busy")
