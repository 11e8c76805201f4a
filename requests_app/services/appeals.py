"""Appeals: a person whose request was denied asks for it to be reconsidered. The appeal
is a new linked request of type appeal, answered within the rule's appeal period."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from requests_app import deadlines, timeline
from requests_app.models import (
    Appeal,
    PrivacyRequest,
    RequestType,
    Status,
    VerificationMethod,
)
from requests_app.selectors import (
    privacy_request_appeal_refusal,
    privacy_request_reference_unused,
)
from requests_app.services.notices import notice_send
from requests_app.services.transitions import privacy_request_lock, privacy_request_transition
from requests_app.tokens import derive_token, new_salt, token_hash


@transaction.atomic
def appeal_submit(*, original: PrivacyRequest, statement: str) -> PrivacyRequest:
    """Open an appeal: a new linked request of type appeal, answered within the rule's
    appeal period. Only the holder of the status link can reach this."""
    original = privacy_request_lock(original)
    refusal = privacy_request_appeal_refusal(original)
    if refusal:
        raise ValidationError(refusal)
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": "Tell us why you disagree."})
    now = timezone.now()
    due_on = deadlines.appeal_due_date(original.rule_code, timezone.localdate(now))
    salt = new_salt()
    # The same collision check as a submission: references are random.
    reference = privacy_request_reference_unused()
    appeal_request = PrivacyRequest.objects.create(
        reference=reference,
        request_type=RequestType.APPEAL,
        rule_code=original.rule_code,
        channel=original.channel,
        country=original.country,
        state=original.state,
        customer=original.customer,
        full_name=original.full_name,
        email=original.email,
        email_key=original.email_key,
        phone=original.phone,
        is_agent_request=original.is_agent_request,
        agent_name=original.agent_name,
        agent_email=original.agent_email,
        received_at=now,
        due_on=due_on,
        deadline_on=due_on,
        parent=original,
        status_token_salt=salt,
        status_token_hash=token_hash(derive_token(purpose="status", ident=reference, salt=salt)),
    )
    Appeal.objects.create(original=original, appeal_request=appeal_request, statement=statement)
    timeline.appeal_received(original=original, appeal=appeal_request)
    # The appellant holds the original's status link: that is the verification.
    privacy_request_transition(
        actor=None,
        request=appeal_request,
        to_status=Status.VERIFIED,
        verified_at=now,
        verification_method=VerificationMethod.NOT_REQUIRED,
        public_message="",
    )
    privacy_request_transition(actor=None, request=appeal_request, to_status=Status.IN_PROGRESS)
    notice_send(request=appeal_request, code="appeal_received")
    return appeal_request
