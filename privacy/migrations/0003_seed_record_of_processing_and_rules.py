"""Seed the record of processing with the categories a contact-centre / SMS /
call-tracking platform holds, and the default retention rules from the privacy policy.
Both stay editable in admin."""

from django.db import migrations

CATEGORIES = [
    (
        "identifiers",
        "Identifiers",
        "Name, e-mail address, phone numbers, postal address.",
        "Providing the service; answering enquiries; account security.",
        "contract",
        "You; our customers who use the platform to talk to you.",
        "Our customer (the business you dealt with); service providers that host and deliver messages.",
        "Until 2 years after the contract ends (5 years without use ends a contract).",
        False,
        False,
    ),
    (
        "account_data",
        "Account data",
        "Login, settings and account history of platform users.",
        "Running the account you hold with us.",
        "contract",
        "You.",
        "Hosting providers.",
        "Until 2 years after the account is closed or stops being used.",
        False,
        False,
    ),
    (
        "payment_data",
        "Payment data",
        "Billing address, invoices and payment references (no full card numbers).",
        "Billing; tax and accounting obligations.",
        "legal_obligation",
        "You; payment processors.",
        "Payment processors; tax authorities when required.",
        "As long as tax law requires (usually 7-10 years).",
        False,
        False,
    ),
    (
        "communications_content",
        "Communications content",
        "Text of SMS, chat, e-mail and web-form messages.",
        "Delivering messages on behalf of our customer; support.",
        "contract",
        "You, when you message a business that uses our platform.",
        "Our customer; carriers that deliver messages.",
        "As our customer's contract and the retention rules say; erased on request.",
        False,
        False,
    ),
    (
        "call_activity",
        "Call activity records",
        "Who called whom, when, for how long.",
        "Routing and tracking calls; billing our customers.",
        "contract",
        "Telephone networks.",
        "Our customer; carriers.",
        "De-identified after erasure and kept for billing; otherwise as identifiers.",
        False,
        False,
    ),
    (
        "recordings",
        "Recordings and transcripts",
        "Call recordings and their transcripts.",
        "Quality and training for our customer, where you were told and agreed.",
        "consent",
        "Calls you make to or receive from our customers.",
        "Our customer; transcription service providers.",
        "As our customer's contract says; erased on request.",
        True,
        False,
    ),
    (
        "internet_activity",
        "Internet activity",
        "IP address, browser, pages visited on our sites and forms.",
        "Security, fraud prevention and site analytics.",
        "legitimate_interest",
        "Your browser.",
        "Analytics and security providers.",
        "12 months.",
        False,
        False,
    ),
    (
        "cookies",
        "Cookies",
        "Cookie identifiers and the choices you made in our cookie banner.",
        "Remembering your choices; analytics and advertising where you agreed.",
        "consent",
        "Your browser.",
        "Analytics and advertising partners, only with your consent.",
        "12 months.",
        False,
        True,
    ),
    (
        "inferences",
        "Inferences",
        "Lead scores and preferences derived from your interactions.",
        "Prioritising follow-up; tailoring our own marketing.",
        "legitimate_interest",
        "Derived from the data above.",
        "Nobody outside us.",
        "As long as the data they were derived from.",
        False,
        False,
    ),
]

RULES = [
    (
        "customer_contract_end",
        730,
        "erase",
        "Identity data of a customer's contacts is erased 2 years after the customer's contract ended.",
        "Privacy policy: retention of identity data",
    ),
    (
        "contract_inactivity",
        5 * 365 + 1,
        "none",
        "A customer's contract counts as ended after 5 years without use of the platform.",
        "Privacy policy: retention of identity data",
    ),
    (
        "prospect_last_contact",
        730,
        "erase",
        "Prospects' data is erased 2 years after our last contact with them.",
        "Privacy policy: prospects",
    ),
    (
        "cookie_data",
        365,
        "erase",
        "Site-visitor (cookie) data is erased 12 months after it was collected or last seen.",
        "Privacy policy: cookies; CNIL guidance on cookie lifetime",
    ),
    (
        "unused_account",
        7 * 365 + 2,
        "erase",
        "Accounts unused for 5 years (contract ended) are de-identified 2 years later.",
        "Privacy policy: unused accounts",
    ),
]


def seed(apps, schema_editor):
    DataCategory = apps.get_model("privacy", "DataCategory")
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    for (
        code,
        name,
        description,
        purposes,
        basis,
        sources,
        recipients,
        retention,
        sensitive,
        sold,
    ) in CATEGORIES:
        DataCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "purposes": purposes,
                "legal_basis": basis,
                "sources": sources,
                "recipients": recipients,
                "retention": retention,
                "is_sensitive": sensitive,
                "sold_or_shared": sold,
            },
        )
    for code, days, action, description, source in RULES:
        RetentionRule.objects.get_or_create(
            code=code,
            customer=None,
            defaults={
                "period_days": days,
                "action": action,
                "description": description,
                "source": source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_auditevent_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
