"""Staff who acted in any app keep their account: privacy finds every record of an act
(foreign keys to the user that refuse deletion) through the model registry, without
importing the other apps."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError

from privacy.services.staff import staff_user_acts, staff_user_deletion_refusal
from privacy.tests.factories import UserFactory
from requests_app.models import RequestEvent
from requests_app.tests.factories import PrivacyRequestFactory


@pytest.mark.django_db
def test_a_request_event_or_a_request_taken_by_phone_keeps_the_account():
    agent = UserFactory(role="Support agent")
    request = PrivacyRequestFactory(created_by=agent)
    RequestEvent.objects.create(request=request, kind=RequestEvent.Kind.NOTE, actor=agent)

    acts = staff_user_acts(agent)
    assert acts["request events"] == 1 and acts["privacy requests"] == 1
    assert "1 request events" in staff_user_deletion_refusal(agent)
    with pytest.raises(ProtectedError):
        agent.delete()
    assert RequestEvent.objects.get(request=request).actor_id == agent.pk
