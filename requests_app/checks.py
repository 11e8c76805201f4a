"""System checks: a mistyped promise setting stops `manage.py check` (and every
management command and server start), not the first request it would have capped."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def response_promises_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from requests_app.rules import parse_promises

    try:
        parse_promises(getattr(settings, "REQUESTS_RESPONSE_PROMISE_DAYS", ""))
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="requests_app.E001")]
    return []
