"""Seed the purposes consent is asked for, each with a first published notice.

Published notices never change; a wording change is a new version (admin action)."""

import hashlib

from django.db import migrations
from django.utils import timezone

PURPOSES = [
    # code, name, channel, legal basis, marketing, double opt-in, notice kind, notice text
    ("email_marketing", "E-mail marketing", "email", "consent", True, False, "form_checkbox",
     "Yes, send me news and offers by e-mail. I can unsubscribe at any time with the link "
     "in every e-mail or on my preferences page."),
    ("sms_marketing", "SMS marketing", "sms", "consent", True, True, "sms_prompt",
     "Reply YES to receive recurring automated marketing text messages at this number. "
     "Consent is not a condition of purchase. Up to 4 msgs/week. Msg & data rates may "
     "apply. Reply HELP for help, STOP to cancel."),
    ("sms_informational", "SMS informational", "sms", "consent", False, False, "form_checkbox",
     "Send me account and service text messages (reminders, order and delivery updates) at "
     "this number. Msg & data rates may apply. Reply HELP for help, STOP to cancel."),
    ("call_recording", "Call recording", "phone", "consent", False, False, "ivr_disclosure",
     "This call may be recorded for quality and training. If you do not want to be "
     "recorded, press 9 now or tell the agent, and we will not record."),
    ("cookies_analytics", "Cookies: analytics", "web", "consent", False, False, "banner",
     "We would like to use analytics cookies to understand how our site is used. They are "
     "set only if you accept them, and you can change your choice at any time under "
     "Cookie settings."),
    ("cookies_advertising", "Cookies: advertising", "web", "consent", True, False, "banner",
     "We would like to use advertising cookies, including our partners', to show you "
     "relevant ads on other sites. They are set only if you accept them, and you can "
     "change your choice at any time under Cookie settings."),
    ("sale_sharing", "Sale/sharing for cross-context behavioural advertising", "data",
     "legitimate_interest", True, False, "form_checkbox",
     "We may share personal information with advertising partners for cross-context "
     "behavioural advertising, which some US state laws call a sale or sharing. You can "
     "opt out at any time with 'Do Not Sell or Share My Personal Information'; a Global "
     "Privacy Control signal from your browser is honoured as an opt-out."),
    ("avatar_lookup", "Avatar look-up by e-mail hash", "email", "consent", False, False,
     "form_checkbox",
     "Show my profile picture from Gravatar: to find it, a hash of my e-mail address is "
     "sent to Gravatar (Automattic Inc.)."),
]  # fmt: skip

DESCRIPTIONS = {
    "sale_sharing": "Opt-out model (CCPA/CPRA and other US state laws): allowed until the "
    "person opts out, including by Global Privacy Control.",
    "sms_marketing": "TCPA: prior express written consent naming the number; double opt-in.",
}


def forward(apps, schema_editor):
    Purpose = apps.get_model("consent", "Purpose")
    Notice = apps.get_model("consent", "Notice")
    now = timezone.now()
    for code, name, channel, basis, marketing, doi, kind, text in PURPOSES:
        purpose, _ = Purpose.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "channel": channel,
                "legal_basis": basis,
                "is_marketing": marketing,
                "requires_double_opt_in": doi,
                "description": DESCRIPTIONS.get(code, ""),
            },
        )
        Notice.objects.get_or_create(
            purpose=purpose,
            version=1,
            defaults={
                "kind": kind,
                "text": text,
                "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "published_at": now,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
