"""The hand-written OpenAPI 3 document served at /api/v1/openapi.json."""

_ERROR = {"$ref": "#/components/schemas/Error"}
_REASONS = [
    "granted", "legitimate_interest", "no_consent", "withdrawn", "objected", "limited", "minor",
    "reconfirmation_needed", "subscription_opted_out", "suppressed", "restricted",
    "do_not_contact", "quiet_hours",
]  # fmt: skip
_PARENTAL_METHODS = ["signed_form", "payment_card", "call", "id_document", "knowledge"]

OPENAPI: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "Privacy back office — consent API",
        "version": "1.0.0",
        "description": (
            "Ask before every message whether it may be sent, and record consents with "
            "their evidence. Each API key belongs to one customer and sees only that "
            "customer's contacts; anything else is answered 404."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/v1/consent/check": {
            "get": {
                "operationId": "consentCheck",
                "summary": "May this identifier be messaged for this purpose now — or may "
                "this person's data be sold/shared or their sensitive data used?",
                "description": (
                    "Messaging purposes (sms_marketing, sms_informational, "
                    "email_marketing…): may a message be sent to `to` on `channel` now. "
                    "Purposes about the person as a whole (sale_sharing: sale or sharing "
                    "for cross-context behavioural advertising; sensitive_data_use: use of "
                    "sensitive personal information): may the data of the person `to` "
                    "names be used so; `channel` then only says whether `to` is an e-mail "
                    "address (email) or a phone number (sms), and `sender` is ignored. "
                    "Reasons: objected (the person objected to this processing), limited "
                    "(sensitive_data_use: the person asked us to limit the use of their "
                    "sensitive data, Cal. Civ. Code §1798.121), minor "
                    "(marketing, sale/sharing or advertising for a minor without verified "
                    "parental consent), reconfirmation_needed (consent given under a "
                    "notice version that has since changed materially, after the grace "
                    "period)."
                ),
                "parameters": [
                    {
                        "name": "channel",
                        "in": "query",
                        "required": True,
                        "description": "sms or email: the channel of the message, or for "
                        "sale_sharing and sensitive_data_use the kind of identifier in `to`.",
                        "schema": {"type": "string", "enum": ["sms", "email"]},
                    },
                    {
                        "name": "purpose",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "example": "sms_marketing",
                            "description": "A purpose code, e.g. sms_marketing, "
                            "email_marketing, sale_sharing, sensitive_data_use.",
                        },
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "required": True,
                        "description": "E-mail address, or phone number (E.164 or the "
                        "customer's national format).",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "sender",
                        "in": "query",
                        "required": False,
                        "description": "The customer's number or short code the SMS is sent "
                        "from. Without it, an opt-out from any sender answers no.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The answer",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Decision"}
                            }
                        },
                    },
                    "400": {
                        "description": "Bad parameter (a NUL byte in one: `field` names it)",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "401": {
                        "description": "Missing or invalid API key",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        },
        "/api/v1/consent/events": {
            "post": {
                "operationId": "consentEventRecord",
                "summary": "Record a grant, a withdrawal or an objection with its evidence",
                "description": (
                    "A grant for a purpose that needs double opt-in (SMS marketing) starts "
                    "it instead: 202 with a pending subscription; the person's YES reply "
                    "records the grant. An objection (GDPR Art. 21) stops the purpose "
                    "whatever its legal basis; the check then answers objected. A "
                    "marketing grant for a minor is refused (400) without "
                    "`parental_consent` (how the parent's consent was verified and where "
                    "the evidence is kept); a minor's SMS marketing is recorded with "
                    "`confirmed: true` and that evidence, never by double opt-in."
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/EventIn"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "Recorded",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Event"}}
                        },
                    },
                    "202": {
                        "description": "Double opt-in started",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "status": {
                                            "type": "string",
                                            "enum": ["pending_confirmation"],
                                        },
                                        "subscription_id": {"type": "integer"},
                                        "contact_id": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "400": {
                        "description": (
                            "Invalid; nothing stored. A NUL byte in any string: `field` "
                            "names it. A sender that is not one of the key's customer's "
                            "sender numbers is refused (another customer's like an unknown one)."
                        ),
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "401": {"description": "Missing or invalid API key"},
                    "404": {"description": "No such contact for this key's customer"},
                    "409": {
                        "description": (
                            "Double opt-in refused: the number may not be texted from that "
                            "sender (`reason`: suppressed, do_not_contact or opted_out); "
                            "nothing stored, no prompt sent"
                        ),
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                },
            }
        },
        "/api/v1/contacts/{contact_id}/consents": {
            "get": {
                "operationId": "contactConsents",
                "summary": "A contact's current consents and its ledger (newest first)",
                "parameters": [
                    {
                        "name": "contact_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {"description": "The consents"},
                    "401": {"description": "Missing or invalid API key"},
                    "404": {"description": "No such contact for this key's customer"},
                },
            }
        },
        "/sms/inbound/": {
            "post": {
                "operationId": "smsInbound",
                "summary": "Twilio inbound SMS webhook (X-Twilio-Signature required)",
                "security": [],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "From": {"type": "string"},
                                    "To": {"type": "string"},
                                    "Body": {"type": "string"},
                                    "MessageSid": {"type": "string"},
                                    "AccountSid": {"type": "string"},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "200": {
                        "description": "TwiML with at most one reply",
                        "content": {"application/xml": {}},
                    },
                    "400": {
                        "description": (
                            "MessageSid missing or over 64 characters, or a NUL byte in "
                            "MessageSid, From, To or AccountSid (the field is named); "
                            "nothing stored. NUL bytes in Body are removed instead."
                        ),
                        "content": {"text/plain": {}},
                    },
                    "403": {"description": "Missing or invalid signature; nothing stored"},
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "field": {"type": "string", "description": "The field with a NUL byte"},
                    "reason": {"type": "string", "description": "Why a message may not go"},
                },
            },
            "Decision": {
                "type": "object",
                "required": ["allowed", "reason", "since"],
                "properties": {
                    "allowed": {"type": "boolean"},
                    "reason": {"type": "string", "enum": _REASONS},
                    "since": {"type": "string", "format": "date-time", "nullable": True},
                    "retry_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "With quiet_hours: when sending is allowed again.",
                    },
                },
            },
            "EventIn": {
                "type": "object",
                "required": ["purpose", "action"],
                "properties": {
                    "purpose": {"type": "string"},
                    "action": {"type": "string", "enum": ["grant", "withdraw", "object"]},
                    "to": {"type": "string", "description": "E-mail or phone it covers"},
                    "contact_id": {"type": "integer"},
                    "create_contact": {"type": "boolean", "default": False},
                    "sender": {"type": "string"},
                    "notice_version": {"type": "integer"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "confirmed": {
                        "type": "boolean",
                        "description": "The grant was already confirmed (double opt-in "
                        "done by the caller).",
                    },
                    "parental_consent": {
                        "type": "object",
                        "description": "A minor's grant: verifiable parental consent.",
                        "required": ["method", "reference"],
                        "properties": {
                            "method": {"type": "string", "enum": _PARENTAL_METHODS},
                            "reference": {
                                "type": "string",
                                "description": "Where the evidence is kept (a document or "
                                "case id; no names).",
                            },
                        },
                    },
                    "evidence": {
                        "type": "object",
                        "properties": {
                            "ip": {"type": "string"},
                            "user_agent": {"type": "string"},
                            "page_url": {"type": "string"},
                            "source": {"type": "string"},
                            "reference": {"type": "string"},
                        },
                    },
                },
            },
            "Event": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "contact_id": {"type": "integer"},
                    "purpose": {"type": "string"},
                    "action": {"type": "string"},
                    "method": {"type": "string"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "notice_version": {"type": "integer", "nullable": True},
                    "sender": {"type": "string", "nullable": True},
                    "parental_consent": {
                        "type": "string",
                        "nullable": True,
                        "enum": [*_PARENTAL_METHODS, None],
                    },
                },
            },
        },
    },
}
