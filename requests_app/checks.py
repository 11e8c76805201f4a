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


@checks.register(checks.Tags.compatibility, deploy=True)
def sms_from_number_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check --deploy``: without our SMS number no verification code or SMS
    notice can go out (each would fail, be retried and end as "NOT sent" for staff)."""
    if not getattr(settings, "REQUESTS_SMS_FROM_NUMBER", ""):
        return [
            checks.Warning(
                "REQUESTS_SMS_FROM_NUMBER is not set: phone-only requesters get no "
                "verification code and no notices.",
                id="requests_app.W002",
            )
        ]
    return []
