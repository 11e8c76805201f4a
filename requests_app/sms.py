"""A small pluggable SMS sender for verification codes. ``REQUESTS_SMS_SENDER`` names
the class; production points it at a gateway adapter (e.g. the consent app's), the
demo prints to the console and the tests collect messages in ``LocmemSmsSender.outbox``."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsSender:
    """Development: print the message (never logged: it holds a number and a code)."""

    def send(self, *, to: str, body: str) -> None:
        print(f"[SMS to {to}] {body}")


class ConsentGatewaySmsSender:
    """Production: send through the consent app's SMS gateway (``CONSENT_SMS_GATEWAY``,
    Twilio) from our number ``REQUESTS_SMS_FROM_NUMBER``."""

    def send(self, *, to: str, body: str) -> None:
        from consent.sms import OutboundSms, sms_gateway

        if not settings.REQUESTS_SMS_FROM_NUMBER:
            raise ImproperlyConfigured("REQUESTS_SMS_FROM_NUMBER is not set.")
        sms_gateway().send(OutboundSms(to=to, sender=settings.REQUESTS_SMS_FROM_NUMBER, body=body))


class LocmemSmsSender:
    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        LocmemSmsSender.outbox.append({"to": to, "body": body})


def get_sms_sender() -> SmsSender:
    return import_string(settings.REQUESTS_SMS_SENDER)()
