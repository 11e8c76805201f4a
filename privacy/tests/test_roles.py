"""The staff roles the data migration sets up (privacy/roles.py): the permission matrix
and what each role may do with personal data."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from privacy.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- staff roles -------------------------------------------------------------------------

MODELS = [
    "customer",
    "contact",
    "contactidentifier",
    "interaction",
    "datacategory",
    "retentionrule",
    "legalhold",
    "suppression",
    "erasurecertificate",
    "auditevent",
    "datatransfer",
    "disclosure",
    "minorerasure",
    "outboxtask",
]
EXTRA = {
    "flag_minor_contact",
    "export_contact",
    "import_contact",
    "erase_contact",
    "import_customer",
    "export_customer",
    "import_interaction",
    "export_interaction",
    "manage_legalhold",
}
ALL_PRIVACY = {
    f"{verb}_{m}" for m in MODELS for verb in ("add", "change", "delete", "view")
} | EXTRA

# Only services write these; deleting contacts or interactions bypasses erasure.
NEVER_GRANTED = {
    "delete_contact",
    "delete_contactidentifier",
    "delete_interaction",
    *(
        f"{verb}_{m}"
        for verb in ("add", "change", "delete")
        for m in (
            "auditevent",
            "suppression",
            "erasurecertificate",
            "minorerasure",
            "outboxtask",
        )
    ),
    "change_disclosure",
    "delete_disclosure",
}

EXPECTED = {
    "Privacy officer": ALL_PRIVACY - NEVER_GRANTED,
    "Support agent": {
        "view_customer",
        "view_contact",
        "add_contact",
        "change_contact",
        "view_contactidentifier",
        "add_contactidentifier",
        "change_contactidentifier",
        "view_interaction",
        "view_datacategory",
        "view_legalhold",
        "view_minorerasure",
        "flag_minor_contact",
    },
    "Auditor": {f"view_{m}" for m in MODELS},
}


def _privacy_perms(user) -> set[str]:
    # Other apps give these groups their own permissions; this matrix is privacy's.
    return {p.split(".", 1)[1] for p in user.get_all_permissions() if p.startswith("privacy.")}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_staff_permission_matrix(role):
    user = UserFactory(role=role)
    assert _privacy_perms(user) == EXPECTED[role]


def test_what_each_role_may_do_with_personal_data():
    officer = UserFactory(role="Privacy officer")
    agent = UserFactory(role="Support agent")
    auditor = UserFactory(role="Auditor")

    for perm in ("export_contact", "erase_contact", "manage_legalhold", "view_auditevent"):
        assert officer.has_perm(f"privacy.{perm}")
    for perm in ("delete_contact", "change_auditevent", "delete_suppression"):
        assert not officer.has_perm(f"privacy.{perm}")
    for perm in ("view_contact", "add_contact", "change_contact"):
        assert agent.has_perm(f"privacy.{perm}")
    for perm in (
        "export_contact",
        "erase_contact",
        "manage_legalhold",
        "delete_contact",
        "add_legalhold",
        "view_auditevent",
        "view_suppression",
    ):
        assert not agent.has_perm(f"privacy.{perm}")
    assert auditor.has_perm("privacy.view_auditevent")
    assert auditor.has_perm("privacy.view_erasurecertificate")
    for perm in ("change_contact", "add_contact", "export_contact", "erase_contact"):
        assert not auditor.has_perm(f"privacy.{perm}")


def test_a_staff_user_without_a_role_can_do_nothing():
    assert _privacy_perms(UserFactory()) == set()


def test_roles_exist_once():
    names = list(Group.objects.values_list("name", flat=True))
    for role in EXPECTED:
        assert names.count(role) == 1
