"""Default texts of every notice. The data migration copies them into ``NoticeTemplate``
rows that staff edit in admin; the defaults are used only when a row is missing.

Subjects and bodies are Django templates (plain text, no autoescaping). Every notice gets
``reference``, ``request_type``, ``rule_name``, ``received_on``, ``due_on``,
``status_url``, ``organisation``, ``is_appeal`` and the complaint authority of the
request's rule (``authority_name``, ``authority_url``, ``authority_how``; empty under the
house rule); the extra variables of each notice are listed in its description.

``sms`` is the short text a requester who gave only a phone number gets instead (SMS, from
``REQUESTS_SMS_FROM_NUMBER``): the reference and the status-page link, no personal data and
no other secret link — a download is reached from the status page, never texted.
Staff edit it as ``NoticeTemplate.sms_body``; a notice without one goes by e-mail only.

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
        "sms": "{{ organisation }}: we received your privacy request {{ reference }} and will answer by {{ due_on }}. Status: {{ status_url }}",
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
        "sms": "{{ organisation }}: we need more time for your privacy request {{ reference }}; new deadline {{ extended_due_on }}. Why: {{ status_url }}",
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
        "sms": "{{ organisation }}: your privacy request {{ reference }} is complete.{% if download_urls %} Download your data from the status page:{% else %} Details:{% endif %} {{ status_url }}",
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
        "sms": "{{ organisation }}: we cannot fulfil your {% if is_appeal %}appeal{% else %}privacy request{% endif %} {{ reference }}. Reason and your options: {{ status_url }}{% if appeal_url %} Appeal: {{ appeal_url }}{% endif %}",
    },
    "closing_unverified": {
        "description": "Closed because it was not verified in time.",
        "subject": "Your privacy request {{ reference }} was closed",
        "body": (
            "We closed your {{ request_type }} request because it was not confirmed in time.\n"
            "You are welcome to send a new request at any time.\n\n"
            "{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: your privacy request {{ reference }} was closed because it was not confirmed in time. You may send a new one.",
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
        "sms": "{{ organisation }}: we passed your privacy request {{ reference }} to the business that holds your data. Status: {{ status_url }}",
    },
    "fee_estimate": {
        "description": "Fee estimate before charging. Extra: fee_estimate.",
        "subject": "Fee estimate for your privacy request {{ reference }}",
        "body": (
            "Your request is manifestly unfounded or excessive under {{ rule_name }}, so a fee "
            "applies. Estimate: {{ fee_estimate }}. Reply to confirm or withdraw the request.\n\n"
            "{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: a fee applies to your privacy request {{ reference }}. Estimate and how to answer: {{ status_url }}",
    },
    "appeal_received": {
        "description": "Appeal received.",
        "subject": "We received your appeal {{ reference }}",
        "body": (
            "We received your appeal. A privacy officer who was not involved in the first answer "
            "will review it and answer by {{ due_on }}.\n\nStatus: {{ status_url }}\n\n{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: we received your appeal {{ reference }} and will answer by {{ due_on }}. Status: {{ status_url }}",
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
    "opt_out_confirmation": {
        "description": "Opt-out of sale/sharing or limit of sensitive data processed (11 CCR §7026, §7027). Extra: processed_on, is_limit, via_gpc, message.",
        "subject": "Your request {{ reference }} has been processed",
        "body": (
            "{% if is_limit %}On {{ processed_on }} we processed your request to limit the use of your "
            "sensitive personal information. From now on we use it only for the purposes the law "
            "allows, such as providing the service you asked for and keeping it secure."
            "{% else %}On {{ processed_on }} we processed your request to opt out of the sale or sharing "
            "of your personal information. We no longer sell or share it"
            "{% if via_gpc %}: your browser's Global Privacy Control signal was honoured as this request"
            "{% endif %}.{% endif %}\n\n"
            "Reference: {{ reference }}\nStatus: {{ status_url }}\n\n"
            "{% if message %}{{ message }}\n\n{% endif %}{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: we processed your request {{ reference }} on {{ processed_on }}. Status: {{ status_url }}",
    },
    "shine_the_light_answer": {
        "description": "Answer to a California 'Shine the Light' request (Civ. Code §1798.83). Extra: stl_year, stl_categories (name, recipients), message.",
        "subject": "Your request {{ reference }}: disclosures for direct marketing",
        "body": (
            "You asked which third parties received your personal information for their own "
            "direct marketing purposes.\n\n"
            "{% if stl_categories %}In {{ stl_year }} we disclosed these categories of personal "
            "information to third parties for their direct marketing purposes, and to whom:\n"
            "{% for c in stl_categories %}- {{ c.name }}: {{ c.recipients }}\n{% endfor %}"
            "{% else %}In {{ stl_year }} we did not disclose personal information to third parties "
            "for their direct marketing purposes.\n{% endif %}\n"
            "{% if message %}{{ message }}\n\n{% endif %}"
            "Status: {{ status_url }}\n\n{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: the answer to your request {{ reference }} is on the status page: {{ status_url }}",
    },
    "deletion_confirmation": {
        "description": "Before a deletion runs: what will be erased and what is kept, in words. Extra: run_on, erased (lines), kept (lines).",
        "subject": "Your deletion request {{ reference }}: what we will erase on {{ run_on }}",
        "body": (
            "We will erase your personal data on {{ run_on }}. Before we do, this is what it means.\n\n"
            "We will erase:\n{% for line in erased %}- {{ line }}\n{% empty %}- nothing further\n{% endfor %}\n"
            "We must keep, with your name and contact details removed:\n"
            "{% for line in kept %}- {{ line }}\n{% empty %}- nothing\n{% endfor %}\n"
            "If you did not ask for this, or you changed your mind, reply before {{ run_on }}.\n\n"
            "Status: {{ status_url }}\n\n{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: we will erase your data on {{ run_on }} (request {{ reference }}). What is erased and kept: {{ status_url }}",
    },
    "transfer_recipient_confirm": {
        "description": "To the organisation a person asked us to send their data to: confirm the address first. Extra: recipient_name, confirm_url, expires_at.",
        "subject": "Please confirm this address to receive a data transfer",
        "body": (
            "Hello {{ recipient_name }},\n\n"
            "A person asked us to send a copy of their personal data to this address (data "
            "portability). To receive it, confirm that this address is yours: {{ confirm_url }}\n"
            "The link works once and until {{ expires_at }}. We then e-mail you a download link.\n\n"
            "If you do not expect this, ignore this message and nothing will be sent.\n\n"
            "{{ organisation }}\n"
        ),
    },
    "transfer_recipient_download": {
        "description": "To the confirmed recipient: the download link. Extra: recipient_name, download_url, expires_on.",
        "subject": "A personal data transfer for you (reference {{ reference }})",
        "body": (
            "Hello {{ recipient_name }},\n\n"
            "Thank you for confirming your address. Download the data here (JSON and CSV files): "
            "{{ download_url }}\nThe link works until {{ expires_on }}.\n\n{{ organisation }}\n"
        ),
    },
    "transfer_sent": {
        "description": "To the person: the recipient they named confirmed its address and was sent the download link. Extra: recipient_name, expires_on.",
        "subject": "Your data was sent to {{ recipient_name }}",
        "body": (
            "The organisation you named ({{ recipient_name }}) confirmed its address, and we sent it "
            "a link to download your data. The link works until {{ expires_on }}.\n\n"
            "Status: {{ status_url }}\n\n{{ organisation }}\n"
        ),
        "sms": "{{ organisation }}: the organisation you named confirmed its address; we sent it your data (request {{ reference }}). Status: {{ status_url }}",
    },
}
