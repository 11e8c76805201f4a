"""Outbound SMS through a pluggable gateway (``settings.CONSENT_SMS_GATEWAY``):
console in development, Twilio in production, an in-memory outbox in tests.

Only services call ``sms_gateway()``, and only from a task queued after commit. It is the
one SMS path of the installation: the consent app's texts and the requests app's
verification codes and notices (``requests_app.services.notice_delivery``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutboundSms:
    to: str
    sender: str
    body: str


class SmsGateway(Protocol):
    def send(self, message: OutboundSms) -> str:
        """Send one text; return the provider's message id."""


def _masked(number: str) -> str:
    return f"…{number[-2:]}" if number else ""


class ConsoleGateway:
    """Development: prints the text to the console (stdout), as Django's console e-mail
    backend does, the number masked. Never through ``logging``: a body holds
    verification codes and status links with their tokens, and logs are shipped and
    kept; stdout of a development server is the developer's terminal."""

    def send(self, message: OutboundSms) -> str:
        stream = sys.stdout
        stream.write(f"SMS to {_masked(message.to)}:\n{message.body}\n\n")
        stream.flush()
        return "console"


#: Messages "sent" by LocmemGateway, like django.core.mail.outbox.
outbox: list[OutboundSms] = []


class LocmemGateway:
    """Tests: keeps every message in ``consent.sms.outbox``."""

    def send(self, message: OutboundSms) -> str:
        outbox.append(message)
        return f"SMlocmem{len(outbox)}"


class TwilioGateway:
    """Production: Twilio's REST API with the account SID and auth token from settings.

    Bounded by ``TWILIO_HTTP_TIMEOUT`` (Twilio's own client waits forever by default):
    a gateway that does not answer fails the sending task, which retries."""

    def send(self, message: OutboundSms) -> str:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT),
        )
        sent = client.messages.create(to=message.to, from_=message.sender, body=message.body)
        return sent.sid


def sms_gateway() -> SmsGateway:
    return import_string(settings.CONSENT_SMS_GATEWAY)()
