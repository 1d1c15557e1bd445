"""Logs never carry phones or e-mails in clear."""

from __future__ import annotations

import json
import logging

from intake.logs import JsonFormatter, mask_personal_data


def test_masking_hides_phones_and_emails() -> None:
    text = mask_personal_data("lead from Ivan.Petrov@mail.ru, tel +7 (916) 123-45-67, id=42")
    assert "Ivan.Petrov" not in text and "123-45" not in text
    assert "I***@mail.ru" in text and "***67" in text
    assert "id=42" in text


def test_json_formatter_masks_the_message() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "phone %s", ("89161234567",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    assert "89161234567" not in line["message"]
