"""factory_boy factories for the consent app (privacy's factories make the contacts)."""

from __future__ import annotations

import factory

from consent.models import SenderNumber, SmsSubscription
from privacy.tests.factories import ContactFactory, CustomerFactory, UserFactory

__all__ = [
    "ContactFactory",
    "CustomerFactory",
    "SenderNumberFactory",
    "SmsSubscriptionFactory",
    "UserFactory",
]


class SenderNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SenderNumber
        django_get_or_create = ("number",)

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+1212555{100 + n % 900:04d}")
    kind = SenderNumber.Kind.LONG_CODE
    brand_name = "Acme"
    help_contact = "acme.example.com/help"
    is_default_marketing = True


class SmsSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SmsSubscription

    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda s: s.contact.customer)
    phone = factory.LazyAttribute(lambda s: s.contact.phone)
    sender = "+12125550100"
    program = SmsSubscription.Program.MARKETING
    status = SmsSubscription.Status.OPTED_IN
