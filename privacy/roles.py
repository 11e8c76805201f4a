"""Staff roles: which permissions each group has. The data migrations apply this
table; the permission-matrix tests read it back from the database."""

PRIVACY_OFFICER = "Privacy officer"
SUPPORT_AGENT = "Support agent"
AUDITOR = "Auditor"

#: Permissions nobody is given: the audit trail, suppression list, erasure certificates
#: and the outbox of queued work are written only by services, and deleting a contact or
#: an interaction directly would bypass the erasure engine (no certificate, no
#: suppression).
NEVER_GRANTED = [
    "delete_contact",
    "delete_contactidentifier",
    "delete_interaction",
    "add_auditevent",
    "change_auditevent",
    "delete_auditevent",
    "add_suppression",
    "change_suppression",
    "delete_suppression",
    "add_erasurecertificate",
    "change_erasurecertificate",
    "delete_erasurecertificate",
    # The minors' queue is written by its services; the disclosure log is append-only.
    "add_minorerasure",
    "change_minorerasure",
    "delete_minorerasure",
    "change_disclosure",
    "delete_disclosure",
    "add_outboxtask",
    "change_outboxtask",
    "delete_outboxtask",
]

#: Permission codenames per role for the privacy app. "*" means every permission of
#: the app; "view_*" every view permission; "-codename" takes one away again.
PRIVACY_ROLE_PERMISSIONS: dict[str, list[str]] = {
    PRIVACY_OFFICER: ["*", *(f"-{codename}" for codename in NEVER_GRANTED)],
    SUPPORT_AGENT: [
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
    ],
    AUDITOR: ["view_*"],
}


#: Granted by migration 0010, which creates these permissions (earlier migrations apply
#: the table above before they exist, and re-applying it would hand out permissions of
#: models added since, e.g. staff preferences). An agent who learns on a call that the
#: person is a child marks them; the erasure waits the grace period in the officers' queue.
MINORS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    PRIVACY_OFFICER: [
        "add_datatransfer",
        "change_datatransfer",
        "delete_datatransfer",
        "view_datatransfer",
        "add_disclosure",
        "view_disclosure",
        "view_minorerasure",
        "flag_minor_contact",
    ],
    SUPPORT_AGENT: ["view_minorerasure", "flag_minor_contact"],
    AUDITOR: ["view_datatransfer", "view_disclosure", "view_minorerasure"],
}


def grant_role_permissions(apps, app_label: str, role_permissions: dict[str, list[str]]) -> None:
    """Create the groups and give them ``app_label``'s permissions (used by migrations)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    # Inside a migration the historical app config has no models module, and
    # create_permissions skips such apps; restore it after (it may be the real registry).
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_perms = Permission.objects.filter(content_type__app_label=app_label)
    for role, entries in role_permissions.items():
        group, _ = Group.objects.get_or_create(name=role)
        removed = {c[1:] for c in entries if c.startswith("-")}
        codenames = [c for c in entries if not c.startswith("-")]
        if "*" in codenames:
            perms = list(app_perms)
        else:
            wanted = [c for c in codenames if not c.endswith("*")]
            prefixes = [c[:-1] for c in codenames if c.endswith("*")]
            perms = [
                p
                for p in app_perms
                if p.codename in wanted or any(p.codename.startswith(x) for x in prefixes)
            ]
            missing = set(wanted) - {p.codename for p in perms}
            if missing:
                raise RuntimeError(f"Unknown permissions for {role}: {sorted(missing)}")
        group.permissions.add(*[p for p in perms if p.codename not in removed])
        group.permissions.remove(*[p for p in app_perms if p.codename in removed])
