"""Create an API key for a customer; the key is printed once and stored hashed."""

from django.core.management.base import BaseCommand, CommandError

from consent.services import api_key_create
from privacy.models import Customer


class Command(BaseCommand):
    help = "Create a consent API key for a customer. The key is shown once: copy it."

    def add_arguments(self, parser):
        parser.add_argument("--customer", required=True, help="The customer's slug")
        parser.add_argument("--name", default="api", help="What will use the key")

    def handle(self, *args, customer: str, name: str, **options):
        found = Customer.objects.filter(slug=customer).first()
        if found is None:
            raise CommandError("No customer with this slug.")
        key, raw_key = api_key_create(actor=None, customer=found, name=name)
        self.stderr.write(f"API key #{key.pk} for {found.slug} (shown once, stored hashed):")
        self.stdout.write(raw_key)
