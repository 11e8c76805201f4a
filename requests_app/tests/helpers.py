"""Small helpers shared by the tests: reading links out of the sent mail, submitting and
verifying a request."""

import re

from django.core import mail

from requests_app import services
from requests_app.models import PrivacyRequest

LINK = re.compile(r"http://testserver(/privacy/[a-z]+/[A-Za-z0-9_\-]+/)")


def links_in_mail(kind: str, outbox=None) -> list[str]:
    """Paths of ``/privacy/<kind>/<token>/`` links in the sent mail, oldest first."""
    paths = []
    for message in outbox if outbox is not None else mail.outbox:
        paths += [p for p in LINK.findall(message.body) if p.startswith(f"/privacy/{kind}/")]
    return paths


def submit_and_verify(capture, **kwargs) -> PrivacyRequest:
    """A request submitted from California and verified by staff (which processes it),
    with the on-commit work of both run; ``capture`` is pytest-django's
    ``django_capture_on_commit_callbacks``."""
    with capture(execute=True):
        result = services.privacy_request_submit(actor=None, country="US", state="CA", **kwargs)
    with capture(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    return PrivacyRequest.objects.get(pk=result.request.pk)
