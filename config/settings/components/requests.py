"""Settings of the requests_app (env variables documented in README.md).

Every value can be overridden from the environment; the defaults suit the embedded
demo and the tests."""

import environ

# The nightly jobs are scheduled in base.py's CELERY_BEAT_SCHEDULE with all the others.

_env = environ.Env()

# Public base URL used in links inside notices (status page, verification, download).
REQUESTS_PUBLIC_BASE_URL = _env("REQUESTS_PUBLIC_BASE_URL", default="http://localhost:8000")
# Where the deadline digest goes (comma-separated). Empty: every active member of the
# "Privacy officer" group with an e-mail address.
REQUESTS_DIGEST_RECIPIENTS = _env.list("REQUESTS_DIGEST_RECIPIENTS", default=[])

# Verification: how long an e-mailed link / SMS code stays valid, and how long an
# unverified request stays open before it expires with a closing notice.
REQUESTS_VERIFICATION_LINK_HOURS = _env.int("REQUESTS_VERIFICATION_LINK_HOURS", default=72)
REQUESTS_VERIFICATION_CODE_MINUTES = _env.int("REQUESTS_VERIFICATION_CODE_MINUTES", default=30)
REQUESTS_VERIFICATION_CODE_MAX_ATTEMPTS = _env.int(
    "REQUESTS_VERIFICATION_CODE_MAX_ATTEMPTS", default=5
)
REQUESTS_VERIFICATION_WINDOW_DAYS = _env.int("REQUESTS_VERIFICATION_WINDOW_DAYS", default=14)
# The form sent again for an open request awaiting verification re-sends its link (or
# code) at most once in this many minutes; earlier links keep working until they expire.
REQUESTS_RESEND_WINDOW_MINUTES = _env.int("REQUESTS_RESEND_WINDOW_MINUTES", default=15)

# Our own promise where it is stricter than the law, per rule code:
# "gdpr=30" answers EU/EEA residents within 30 days at most (GDPR's one month is
# sometimes 31) and allows no extension beyond that; "code=30+30" would allow an
# extension of at most 30 days after the original due date. Empty: the law only.
REQUESTS_RESPONSE_PROMISE_DAYS = _env("REQUESTS_RESPONSE_PROMISE_DAYS", default="gdpr=30")

# Deletion: days between scheduling an erasure and the nightly job running it.
REQUESTS_ERASURE_GRACE_DAYS = _env.int("REQUESTS_ERASURE_GRACE_DAYS", default=7)
# Export packages: how long the download link works.
REQUESTS_EXPORT_TTL_DAYS = _env.int("REQUESTS_EXPORT_TTL_DAYS", default=14)
# The request log (CCPA 11 CCR §7101: 24 months); closed requests older are deleted.
REQUESTS_LOG_RETENTION_MONTHS = _env.int("REQUESTS_LOG_RETENTION_MONTHS", default=24)

# Rate limits on the public form: "<count>/<seconds>".
REQUESTS_RATE_LIMIT_PER_IP = _env("REQUESTS_RATE_LIMIT_PER_IP", default="20/3600")
REQUESTS_RATE_LIMIT_PER_IDENTIFIER = _env("REQUESTS_RATE_LIMIT_PER_IDENTIFIER", default="5/86400")
# The cache alias holding the counters: one every web process shares (Redis in
# production, the database cache on the embedded default).
REQUESTS_RATE_LIMIT_CACHE = _env("REQUESTS_RATE_LIMIT_CACHE", default="default")

# Authorised-agent proof upload.
REQUESTS_AGENT_PROOF_MAX_BYTES = _env.int("REQUESTS_AGENT_PROOF_MAX_BYTES", default=5 * 1024 * 1024)

# Our number that verification codes and SMS notices to phone-only requesters are sent
# from, through the consent app's one gateway (CONSENT_SMS_GATEWAY). A STOP texted to it
# stops them (docs/requests.md, "Notices and channels").
REQUESTS_SMS_FROM_NUMBER = _env("REQUESTS_SMS_FROM_NUMBER", default="")
# Notices are sent by a Celery task: failures retry with exponential backoff (base
# seconds, doubling) at most this many times, then staff are told on the timeline.
REQUESTS_NOTICE_MAX_RETRIES = _env.int("REQUESTS_NOTICE_MAX_RETRIES", default=6)
REQUESTS_NOTICE_RETRY_BASE_SECONDS = _env.int("REQUESTS_NOTICE_RETRY_BASE_SECONDS", default=60)
# A worker sending a notice claims it for this long (more than EMAIL_TIMEOUT or an SMS
# call can take); the sweep re-queues notices still unsent this many minutes after they
# were queued (more than the whole retry window) whose task was lost.
REQUESTS_NOTICE_CLAIM_SECONDS = _env.int("REQUESTS_NOTICE_CLAIM_SECONDS", default=600)
REQUESTS_NOTICE_STALE_MINUTES = _env.int("REQUESTS_NOTICE_STALE_MINUTES", default=180)

# Rows per transaction in the nightly jobs.
REQUESTS_JOB_BATCH_SIZE = _env.int("REQUESTS_JOB_BATCH_SIZE", default=500)
