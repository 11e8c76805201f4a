"""Import of consent evidence: all rows or none, every bad row reported by line."""

from __future__ import annotations

import pytest
import tablib

from consent.imports import consent_evidence_import
from consent.models import ConsentEvent, ConsentState

pytestmark = pytest.mark.django_db

HEADER = "customer,email,phone,purpose,action,occurred_at,ip_address,source,notice_version,sender\n"


def _dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(HEADER + text, format="csv")


def test_a_good_file_imports_every_row_through_the_ledger(customer, contact):
    report = consent_evidence_import(actor=None, dataset=_dataset(
        "acme-main,ANN@example.org,,email_marketing,grant,2024-05-01T10:00:00+00:00,"
        "203.0.113.1,spring form,1,\n"
        "acme-main,,(415) 555-0111,sms_marketing,grant,2024-05-02T10:00:00+00:00,,kiosk,1,"
        "+12125550100\n"
        "acme-main,new@example.org,,email_marketing,grant,2024-05-03T10:00:00Z,,fair,,\n"
    ))  # fmt: skip
    assert report.ok, report.errors
    assert report.imported == 3
    event = ConsentEvent.objects.get(contact=contact, purpose__code="email_marketing")
    assert event.method == "import" and event.ip_address == "203.0.113.1"
    assert event.source == "spring form" and event.notice.version == 1
    assert ConsentState.objects.filter(is_granted=True).count() == 3


def test_one_bad_row_saves_nothing_and_every_bad_row_is_reported(customer, contact):
    report = consent_evidence_import(actor=None, dataset=_dataset(
        "acme-main,ann@example.org,,email_marketing,grant,2024-05-01T10:00:00+00:00,,,,\n"
        "nobody,x@example.org,,email_marketing,grant,2024-05-01T10:00:00+00:00,,,,\n"
        "acme-main,,555,sms_marketing,grant,2024-05-01T10:00:00+00:00,,,,\n"
        "acme-main,b@example.org,,email_marketing,grant,yesterday,999.1.1.1,,7,\n"
    ))  # fmt: skip
    assert not report.ok
    assert not ConsentEvent.objects.exists()
    assert not ConsentState.objects.exists()
    text = "\n".join(report.errors)
    assert "Line 3: customer: Unknown customer." in text
    assert "Line 4: phone:" in text
    assert "Line 5: occurred_at:" in text
    assert "Line 5: ip_address:" in text and "Line 5: notice_version:" in text
    assert "Line 2" not in text
    assert "555" not in text.replace("Line", "")  # values are never echoed
