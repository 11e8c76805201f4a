"""Small helpers shared by the tests: reading links out of the sent mail."""

import re

from django.core import mail

LINK = re.compile(r"http://testserver(/privacy/[a-z]+/[A-Za-z0-9_\-]+/)")


def links_in_mail(kind: str, outbox=None) -> list[str]:
    """Paths of ``/privacy/<kind>/<token>/`` links in the sent mail, oldest first."""
    paths = []
    for message in outbox if outbox is not None else mail.outbox:
        paths += [p for p in LINK.findall(message.body) if p.startswith(f"/privacy/{kind}/")]
    return paths
