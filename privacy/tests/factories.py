"""factory_boy factories for the privacy app. Fictional people; phone numbers in the
555 range."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from privacy.models import Contact, ContactIdentifier, Customer, Interaction, LegalHold


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Acme Calls {n}")
    slug = factory.Sequence(lambda n: f"acme-{n}")
    privacy_contact_email = factory.LazyAttribute(lambda c: f"privacy@{c.slug}.example.com")
    default_phone_region = "US"
    last_activity_at = factory.LazyFunction(timezone.now)

    class Params:
        # CustomerFactory(terminated_days_ago=800): contract ended that many days ago.
        terminated_days_ago = None

    status = factory.LazyAttribute(
        lambda c: (
            Customer.Status.TERMINATED
            if c.terminated_days_ago is not None
            else Customer.Status.ACTIVE
        )
    )
    contract_ended_on = factory.LazyAttribute(
        lambda c: (
            timezone.localdate() - dt.timedelta(days=c.terminated_days_ago)
            if c.terminated_days_ago is not None
            else None
        )
    )


class ContactFactory(factory.django.DjangoModelFactory):
    """A contact with a primary e-mail and phone, both also as identifier rows."""

    class Meta:
        model = Contact
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    kind = Contact.Kind.END_USER
    first_name = factory.Sequence(lambda n: f"Firstname{n}")
    last_name = factory.Sequence(lambda n: f"Lastname{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    phone = factory.Sequence(lambda n: f"+1415555{1000 + n % 9000:04d}")
    country = "US"
    state = "CA"
    source = "web form"

    @factory.post_generation
    def with_identifiers(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for kind, value in (("email", self.email), ("phone", self.phone)):
            if value:
                ContactIdentifier.objects.create(
                    contact=self,
                    customer=self.customer,
                    kind=kind,
                    value=value,
                    match_key=value.lower() if kind == "email" else value,
                    is_primary=True,
                )


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda i: i.contact.customer)
    channel = Interaction.Channel.SMS
    direction = Interaction.Direction.INBOUND
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    from_number = factory.LazyAttribute(lambda i: i.contact.phone)
    to_number = "+14155550100"
    body = "Hello, is this the support line?"


class LegalHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalHold

    contact = factory.SubFactory(ContactFactory)
    customer = None
    reason = "Matter 2026-17, litigation hold"
