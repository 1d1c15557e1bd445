"""The shared mail corpus: every file parses without raising and meets its MANIFEST `expect`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.email.parse import MailLead, NotALead, parse_message, read_mail

# The `shared` folder sits beside the checkout: <root>/main/tests/channels/email/ → <root>/shared.
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "testing" / "mail-corpus"
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
IN_CI = os.environ.get("CI") == "true"
CHECKED_KEYS = (
    "is_lead",
    "from_address",
    "from_name",
    "subject",
    "phones_in_body",
    "thread_reply",
)


def _entries() -> list[dict[str, Any]]:
    manifest = CORPUS / "MANIFEST.json"
    if not manifest.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))
    return entries


ENTRIES = _entries()


def _missing() -> None:
    if IN_CI:
        pytest.fail(f"mail corpus missing at {CORPUS} (required when CI=true)")
    pytest.skip(f"mail corpus not found at {CORPUS} (the shared folder beside the checkout)")


def test_corpus_is_present() -> None:
    """The corpus folder exists; under CI its absence fails instead of skipping."""
    if not ENTRIES:
        _missing()
    assert len(ENTRIES) == len(list(CORPUS.rglob("*.eml")))


def _params() -> list[Any]:
    if not ENTRIES:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(entry, id=entry["file"]) for entry in ENTRIES]


@pytest.mark.parametrize("entry", _params())
def test_corpus_file_meets_expect(entry: dict[str, Any] | None) -> None:
    """Parsing never raises, and each `expect` key (null is_lead = policy, not checked) holds."""
    if entry is None:
        _missing()
        return
    raw = (CORPUS / entry["file"]).read_bytes()
    result = parse_message(raw, mailbox="sales", received_at=RECEIVED_AT)
    content = read_mail(raw)
    expect = entry["expect"]
    got = {
        "is_lead": isinstance(result, MailLead),
        "from_address": content.sender.address if content.sender else None,
        "from_name": content.sender.name if content.sender else None,
        "subject": content.subject,
        # Order is where the number happens to sit in the text; the manifest lists a set.
        "phones_in_body": sorted(content.phones),
        "thread_reply": content.thread_reply,
    }
    wanted = {key: expect[key] for key in CHECKED_KEYS}
    wanted["phones_in_body"] = sorted(wanted["phones_in_body"])
    if wanted["is_lead"] is None:
        del wanted["is_lead"], got["is_lead"]
    assert got == wanted, expect["why"]
    if isinstance(result, MailLead):
        assert result.event.channel == "email"
        assert result.event.external_id == result.message_id
        assert result.event.person.email
    else:
        assert isinstance(result, NotALead)
        assert result.reason
