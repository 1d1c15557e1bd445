"""Structured JSON logs, one event per line, with phones and e-mails masked."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from intake.log_secrets import SecretMaskingFilter

EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
PHONE = re.compile(r"(?<![\w])(\+?\d[\d\s()\-]{7,}\d)(?![\w])")


def mask_personal_data(text: str) -> str:
    """Mask e-mail addresses and phone-like digit runs, keeping the last two digits."""
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group(1))[-2:], text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, masked message, exception type."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as a masked JSON line."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personal_data(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            # The masking filter leaves the traceback rendered (and tokens masked) in exc_text.
            text = record.exc_text or self.formatException(record.exc_info)
            entry["traceback"] = mask_personal_data(text)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Send every log record to stderr as masked JSON lines (personal data and tokens)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # On the handler, not a logger: it then sees records of every logger, aiohttp's included.
    handler.addFilter(SecretMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log would print client IPs and full URLs with query strings.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # imapclient logs the whole IMAP conversation at DEBUG: logins and message bodies.
    logging.getLogger("imapclient").setLevel(logging.WARNING)
