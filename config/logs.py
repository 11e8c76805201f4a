"""Log filtering: the secret tokens in the URLs of the public pages (verification,
status, appeal, download — requests_app/urls.py — and the signed preference-centre link
of consent/urls.py) never reach a log. A token in a log is a key to a person's request
or data for whoever reads the logs.

``MaskTokensFilter`` masks every record it sees (Django's request log, runserver's access
log, anything on the console handler); ``MaskingGunicornLogger`` does the same for
gunicorn's access log (config/gunicorn.conf.py)."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

MASK = "[token]"
# The path segment after each of these prefixes is a secret ("code" is a page name).
_TOKEN_IN_PATH = re.compile(
    r"(/privacy/(?:verify|status|appeal|download)/|/preferences/)(?!code/)[^/\s?#\"']+"
)


def mask_tokens(text: str) -> str:
    return _TOKEN_IN_PATH.sub(lambda match: match.group(1) + MASK, text)


class MaskTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        # Django's request log keeps the request; formatters don't print it.
        return True


class MaskingGunicornLogger(GunicornLogger):
    """gunicorn's logger with the request line, path, query and referrer masked."""

    def atoms(self, resp, req, environ, request_time):
        values = super().atoms(resp, req, environ, request_time)
        return {key: mask_tokens(value) if isinstance(value, str) else value for key, value in values.items()}  # fmt: skip

    def error(self, msg, *args, **kwargs):
        text = str(msg) % args if args else str(msg)
        super().error(mask_tokens(text).replace("%", "%%"), **kwargs)
