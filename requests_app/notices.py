"""Default texts of every notice. The data migration copies them into ``NoticeTemplate``
rows that staff edit in admin; the defaults are used only when a row is missing.

Subjects and bodies are Django templates (plain text, no autoescaping). Every notice gets
``reference``, ``request_type``, ``rule_name``, ``received_on``, ``due_on``,
``status_url``, ``organisation``, ``is_appeal`` and the complaint authority of the
request's rule (``authority_name``, ``authority_url``, ``authority_how``; empty under the
house rule); the extra variables of each notice are listed in its description.

Changing a default here does not change the stored row: ship a data migration that
updates rows still holding the previous default (see migration 0005), so texts staff
edited are kept."""

from __future__ import annotations

ORGANISATION = "Privacy team"

DEFAULT_NOTICES: dict[str, dict[str, str]] = {
    "receipt": {
        "description": "Confirmation of receipt (all requests).",
        "subject": "We received your privacy request {{ reference }}",
        "body": (
            "We received your {{ request_type }} request on {{ received_on }}.\n\n"
            "Reference: {{ reference }}\n"
            "We will answer by {{ due_on }} ({{ rule_name }}).\n\n"
            "You can follow it here: {{ status_url }}\n\n"
            "{{ organisation }}\n"
        ),
    },
    "verification_email": {
        "description": "Verification link. Extra: verify_url, expires_at.",
        "subject": "Please confirm your privacy request {{ reference }}",
        "body": (
            "To protect your data we need to confirm that this request comes from you.\n\n"
            "Open this link and press the button to confirm: {{ verify_url }}\n"
            "The link works once and until {{ expires_at }}.\n\n"
            "If you did not ask for this, ignore this message; nothing will happen.\n\n"
            "{{ organisation }}\n"
        ),
    },
    "verification_sms": {
        "description": "Verification code by SMS (subject unused). Extra: code, code_url.",
        "subject": "-",
        "body": "Your privacy request code is {{ code }}. Enter it at {{ code_url }}. Ignore if you did not ask.",
    },
    "extension": {
        "description": "Deadline extended. Extra: extended_due_on, reason.",
        "subject": "More time needed for your privacy request {{ reference }}",
        "body": (
            "We need more time to answer your {{ request_type }} request.\n\n"
            "Why: {{ reason }}\n"
            "New deadline: {{ extended_due_on }} (was {{ due_on }}).\n\n"
            "Status: {{ status_url }}\n\n"
            "{{ organisation }}\n"
        ),
    },
    "completion": {
        "description": "Request completed. Extra: download_urls, download_expires_on, categories (right to know), erased (bool), no_data (bool), message.",
        "subject": "Your privacy request {{ reference }} is complete",
        "body": (
            "Your {{ request_type }} request is complete.\n\n"
            "{% if no_data %}We searched our records with the details you confirmed and hold no personal data about you.\n\n{% endif %}"
            "{% if erased %}Your personal data has been erased. Records the law makes us keep were de-identified.\n\n{% endif %}"
            "{% if download_urls %}Download your data (the link works until {{ download_expires_on }}):\n"
            "{% for url in download_urls %}{{ url }}\n{% endfor %}\n{% endif %}"
            "{% if categories %}What we collect, why, where it comes from and who receives it:\n"
            "{% for c in categories %}- {{ c.name }}: {{ c.purposes }} Sources: {{ c.sources }} Recipients: {{ c.recipients }} Kept: {{ c.retention }}\n{% endfor %}\n{% endif %}"
            "{% if message %}{{ message }}\n\n{% endif %}"
            "Status: {{ status_url }}\n\n"
            "{{ organisation }}\n"
        ),
    },
    "denial": {
        "description": "Request or appeal denied. Extra: reason, explanation, appeal_note, appeal_url (empty without an appeal right or for an appeal).",
        "subject": "Your privacy request {{ reference }}",
        "body": (
            "{% if is_appeal %}We reviewed your appeal and cannot change our decision.{% else %}We cannot fulfil your {{ request_type }} request.{% endif %}\n\n"
            "Reason: {{ reason }}\n"
            "{% if explanation %}{{ explanation }}\n{% endif %}\n"
            "{% if not is_appeal %}Your options: {{ appeal_note }}\n{% endif %}"
            "{% if appeal_url %}To appeal, use this form: {{ appeal_url }}\n{% endif %}"
            "{% if authority_name %}Where to complain: {{ authority_name }} — {{ authority_url }}\n"
            "{% if authority_how %}{{ authority_how }}\n{% endif %}{% endif %}\n"
            "{{ organisation }}\n"
        ),
    },
    "closing_unverified": {
        "description": "Closed because it was not verified in time.",
        "subject": "Your privacy request {{ reference }} was closed",
        "body": (
            "We closed your {{ request_type }} request because it was not confirmed in time.\n"
            "You are welcome to send a new request at any time.\n\n"
            "{{ organisation }}\n"
        ),
    },
    "relay_customer": {
        "description": "To a customer's privacy contact (processor mode). Extra: customer_name, contact_ids.",
        "subject": "Privacy request {{ reference }} from one of your contacts",
        "body": (
            "Hello {{ customer_name }},\n\n"
            "We received a verified {{ request_type }} request ({{ rule_name }}) from a person who is "
            "one of your contacts on our platform: contact record(s) {{ contact_ids|join:', ' }}.\n"
            "As your processor we need your instruction. It must be answered by {{ due_on }}.\n\n"
            "Please reply quoting {{ reference }}: fulfil it on your behalf, you answered the person "
            "yourself, or you decline (with the reason).\n\n"
            "{{ organisation }}\n"
        ),
    },
    "relay_person": {
        "description": "To the person: the request was passed to the controller.",
        "subject": "Your privacy request {{ reference }} was passed on",
        "body": (
            "Part of your data is held by us on behalf of a business whose service you used. "
            "We passed your {{ request_type }} request to that business and will tell you when "
            "it has answered.\n\nStatus: {{ status_url }}\n\n{{ organisation }}\n"
        ),
    },
    "fee_estimate": {
        "description": "Fee estimate before charging. Extra: fee_estimate.",
        "subject": "Fee estimate for your privacy request {{ reference }}",
        "body": (
            "Your request is manifestly unfounded or excessive under {{ rule_name }}, so a fee "
            "applies. Estimate: {{ fee_estimate }}. Reply to confirm or withdraw the request.\n\n"
            "{{ organisation }}\n"
        ),
    },
    "appeal_received": {
        "description": "Appeal received.",
        "subject": "We received your appeal {{ reference }}",
        "body": (
            "We received your appeal. A privacy officer who was not involved in the first answer "
            "will review it and answer by {{ due_on }}.\n\nStatus: {{ status_url }}\n\n{{ organisation }}\n"
        ),
    },
    "deadline_digest": {
        "description": "Daily digest to privacy officers. Extra: overdue, due_2, due_7, ack_owed (lists of references with dates), today.",
        "subject": "Privacy requests on {{ today }}: {{ overdue|length }} overdue, {{ due_2|length }} due in 2 days",
        "body": (
            "Overdue ({{ overdue|length }}):\n{% for r in overdue %}  {{ r.reference }} due {{ r.deadline_on }}\n{% empty %}  none\n{% endfor %}\n"
            "Due within 2 days ({{ due_2|length }}):\n{% for r in due_2 %}  {{ r.reference }} due {{ r.deadline_on }}\n{% empty %}  none\n{% endfor %}\n"
            "Due within 7 days ({{ due_7|length }}):\n{% for r in due_7 %}  {{ r.reference }} due {{ r.deadline_on }}\n{% empty %}  none\n{% endfor %}\n"
            "Acknowledgements owed ({{ ack_owed|length }}):\n{% for r in ack_owed %}  {{ r.reference }} by {{ r.acknowledge_by }}\n{% empty %}  none\n{% endfor %}"
        ),
    },
}
