"""A logging filter that masks bearer tokens, token-like values and the phone or e-mail a
query names in every record."""

from __future__ import annotations

import logging
import re

MASK = "***"
# `access_token=...`, `token=...`, `smart-token=...` in query strings and forms (also quoted
# and escaped: aiohttp logs the bytes repr of an oversize request line).
TOKEN_PARAM = re.compile(r"(?i)\b([\w-]*token=)[^&\s'\"\\]+")
BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\"\\,]+")
# A person's identifiers in a query (`/api/v1/persons?phone=...`): personal data, never logged.
PERSON_PARAM = re.compile(r"(?i)\b((?:phone|email)=)[^&\s'\"\\]+")
# Our own tokens: "li_" and 43 URL-safe base64 characters; catch shorter fragments too.
OUR_TOKEN = re.compile(r"\bli_[A-Za-z0-9_-]{8,}")


def mask_secrets(text: str) -> str:
    """Text with token values replaced by ***."""
    text = OUR_TOKEN.sub("li_" + MASK, text)
    text = TOKEN_PARAM.sub(lambda m: m.group(1) + MASK, text)
    text = PERSON_PARAM.sub(lambda m: m.group(1) + MASK, text)
    return BEARER.sub(lambda m: m.group(1) + MASK, text)


class SecretMaskingFilter(logging.Filter):
    """Renders each record's message and exception text once, masked, so no formatter (ours
    or a library's) can print a token: the message, its arguments and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it."""
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True
