"""The compliant replies of the SMS programme (keyword answers, revocation
confirmations): brand, what happened, how to rejoin or get help. No marketing in any
of them; the confirmation of an opt-out answers a Spanish revocation in Spanish."""

from __future__ import annotations

from django.conf import settings

from consent.models import SenderNumber
from consent.services.sms import _brand


def sms_reply_text(kind: str, sender: SenderNumber | None, *, language: str = "en") -> str:
    """The compliant replies. No marketing in any of them. The confirmation of an
    opt-out answers a Spanish revocation in Spanish."""
    brand, help_contact = _brand(sender)
    freq = settings.CONSENT_SMS_MARKETING_FREQUENCY
    if language == "es" and kind in ("stop", "stopall"):
        scope = "de este número" if kind == "stop" else f"de ningún número de {brand}"
        return (
            f"{brand}: Se ha dado de baja y no recibirá más mensajes {scope}. "
            "Responda START para volver a suscribirse."
        )
    return {
        "stop": f"{brand}: You are unsubscribed and will receive no further messages from "
        "this number. Reply START to rejoin.",
        "stopall": f"{brand}: You are unsubscribed from all {brand} numbers and will receive "
        "no further messages. Reply START to rejoin.",
        "rejoin": f"{brand}: You are subscribed again. {freq}. Msg & data rates may apply. "
        "Reply HELP for help, STOP to cancel.",
        "confirmed": f"{brand}: Thanks, you are subscribed to marketing texts. {freq}. "
        "Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
        "help": f"{brand}: Help: {help_contact}. {freq}. Msg & data rates may apply. "
        "Reply STOP to cancel.",
        "lifted": f"{brand}: You can receive messages from this number again. "
        "Reply HELP for help, STOP to cancel.",
    }[kind]
