"""Notices (consent/services/notices.py): a published notice is frozen; a change is a new
version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import selectors, services
from consent.models import Notice

pytestmark = pytest.mark.django_db


def test_published_notice_is_frozen_and_a_change_is_a_new_version(customer):
    notice = Notice.objects.get(purpose__code="email_marketing", version=1)
    with pytest.raises(ValidationError):
        notice.text = "Changed words"
        services.notice_draft_save(actor=None, notice=notice)
    draft = services.notice_new_version(actor=None, notice=Notice.objects.get(pk=notice.pk))
    assert draft.version == 2 and not draft.is_published
    draft.text = "New words"
    services.notice_draft_save(actor=None, notice=draft)
    assert services.notice_publish(actor=None, notice=draft)
    draft.refresh_from_db()
    assert draft.text_sha256 == services.notice_text_hash("New words")
    assert selectors.notice_published(purpose_code="email_marketing").version == 2
