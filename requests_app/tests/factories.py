"""factory_boy factories for the requests app. Fictional people only."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from requests_app import deadlines
from requests_app.models import PrivacyRequest, RequestType, Status
from requests_app.tokens import derive_token, new_reference, new_salt, token_hash


def _status_hash(obj) -> str:
    return token_hash(
        derive_token(purpose="status", ident=obj.reference, salt=obj.status_token_salt)
    )


class PrivacyRequestFactory(factory.django.DjangoModelFactory):
    """A request in any status, with the deadline its rule gives. Status is set directly
    here (test set-up only); code under test changes it through the transition service."""

    class Meta:
        model = PrivacyRequest

    reference = factory.LazyFunction(new_reference)
    request_type = RequestType.ACCESS
    status = Status.AWAITING_VERIFICATION
    rule_code = "ccpa"
    country = "US"
    state = "CA"
    full_name = factory.Sequence(lambda n: f"Requester {n}")
    email = factory.Sequence(lambda n: f"requester{n}@example.org")
    email_key = factory.LazyAttribute(lambda o: o.email.lower() if o.email else None)
    phone = None
    received_at = factory.LazyFunction(timezone.now)
    due_on = factory.LazyAttribute(
        lambda o: deadlines.due_date(o.rule_code, timezone.localdate(o.received_at))
    )
    deadline_on = factory.LazyAttribute(lambda o: o.extended_due_on or o.due_on)
    extended_due_on = None
    acknowledge_by = factory.LazyAttribute(
        lambda o: deadlines.acknowledge_by(o.rule_code, timezone.localdate(o.received_at))
    )
    verification_expires_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(days=14))
    status_token_salt = factory.LazyFunction(new_salt)
    status_token_hash = factory.LazyAttribute(_status_hash)
