"""Settings of the consent benchmark (bench/consent_bench.py): production settings, plus
a URLconf that adds the bare baseline view next to the real URLs (production URLs stay
untouched). Needs the same environment as production (DJANGO_SECRET_KEY,
SUPPRESSION_HMAC_KEYS, DATABASE_URL, CELERY_BROKER_URL, DJANGO_ALLOWED_HOSTS)."""

from config.settings.production import *  # noqa: F403
from config.settings.production import env

ROOT_URLCONF = "bench.urls_bench"

# Experiment, off by default (not the production configuration): psycopg server-side
# binding with automatic prepared statements for every ORM query.
if env.bool("BENCH_DB_PREPARE", default=False):
    DATABASES["default"]["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": 5}  # noqa: F405

# The consent seed's numbers beyond 2M contacts are valid exchanges, possibly real
# people's (bench/consent_numbers.py): a benchmark texts nobody, whatever the environment
# says (production's default gateway is Twilio, and TWILIO_* come from the environment).
# The benchmarked paths send nothing today (the STOP's reply is TwiML in the HTTP
# response, back to the load generator); this holds for any path that would. The console
# gateway prints the masked number and the body to the server's stdout;
# bench/seed_consent.py refuses to seed under any gateway that could send.
CONSENT_SMS_GATEWAY = "consent.sms.ConsoleGateway"
