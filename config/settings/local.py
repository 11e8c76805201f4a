"""The embedded default: SQLite and kombu's filesystem broker, console e-mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Texts go to the console gateway locally; a placeholder "from" number lets the demo's
# phone-only requests get their code and notices (production must set the real one).
REQUESTS_SMS_FROM_NUMBER = env("REQUESTS_SMS_FROM_NUMBER", default="+15005550006")
