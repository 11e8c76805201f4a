"""The consent permissions of the staff roles (migration 0004_staff_roles)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def test_roles_have_their_consent_permissions():
    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="consent")
            .values_list("codename", flat=True)
        )

    officer, agent, auditor = (
        codenames("Privacy officer"),
        codenames("Support agent"),
        codenames("Auditor"),
    )
    assert {"publish_notice", "add_apikey", "import_consentevent"} <= officer
    assert {"opt_out_smssubscription", "withdraw_consent", "view_consentevent"} <= agent
    assert not {c for c in agent if c.startswith(("add_", "change_", "delete_"))}
    assert auditor and all(c.startswith("view_") for c in auditor)
