"""Staff workflow in the admin, one module per admin: the request queue
(``privacy_request``, with its extra pages in ``request_tools``, its sections in
``inlines`` and the action forms in ``forms``), relays, scheduled erasures, appeals and
the editable notice templates. Importing the package registers them all."""

from requests_app.admin import (
    appeal,
    notice_template,
    privacy_request,
    relay,
    scheduled_erasure,
)

__all__ = ["appeal", "notice_template", "privacy_request", "relay", "scheduled_erasure"]
