# Environment of the embedded demo (sourced by scripts/run). Links in mails, texts and
# pages use the port the demo is served on: PORT (default 8000), unless the public base
# URLs are set explicitly.
export PORT="${PORT:-8000}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export REQUESTS_PUBLIC_BASE_URL="${REQUESTS_PUBLIC_BASE_URL:-http://127.0.0.1:${PORT}}"
export CONSENT_PUBLIC_BASE_URL="${CONSENT_PUBLIC_BASE_URL:-${REQUESTS_PUBLIC_BASE_URL}}"
