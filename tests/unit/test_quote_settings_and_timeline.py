"""`[documents]` settings and how quote changes read on a deal's timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config import ConfigError
from config.documents_settings import DocumentSettings, documents_settings
from config.reader import Section
from crm_core.model import AuditEntry
from crm_core.quotes import document_year, quote_number
from workplace.pages.timeline import Names, audit_text

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NAMES = Names({}, {}, {}, {})


def section(data: dict[str, object]) -> Section:
    return Section("test.toml", "documents", dict(data))


def test_documents_defaults_and_values() -> None:
    assert documents_settings(section({})) == DocumentSettings("КП-", "Europe/Moscow", 14)
    assert documents_settings(
        section({"quote_prefix": "Q", "timezone": "Asia/Yekaterinburg", "quote_valid_days": 30})
    ) == DocumentSettings("Q", "Asia/Yekaterinburg", 30)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"quote_prefx": "КП-"}, "documents.quote_prefx"),
        ({"quote_prefix": "К П"}, "documents.quote_prefix"),
        ({"timezone": "Mars/Olympus"}, "documents.timezone"),
        ({"quote_valid_days": 0}, "documents.quote_valid_days"),
    ],
)
def test_documents_refusals_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        documents_settings(section(data))
    assert key in str(err.value)


def test_numbers_and_the_company_year() -> None:
    assert quote_number("КП-", 2026, 7) == "КП-2026-0007"
    assert quote_number("", 2026, 12345) == "2026-12345"
    assert document_year(datetime(2026, 12, 31, 20, 59, tzinfo=UTC), "Europe/Moscow") == 2026
    assert document_year(datetime(2026, 12, 31, 21, 0, tzinfo=UTC), "Europe/Moscow") == 2027


def test_quote_changes_on_the_deal_timeline() -> None:
    created = AuditEntry(
        "ivanova",
        "deal",
        1,
        "quote_created",
        AT,
        after={"quote_id": 1, "number": "КП-2026-0001", "total": "150000.5"},
    )
    assert audit_text(created, NAMES) == (
        "Создано коммерческое предложение КП-2026-0001 на 150\u202f000,50 ₽"
    )
    sent = AuditEntry(
        "ivanova",
        "deal",
        1,
        "quote_status",
        AT,
        before={"status": "draft"},
        after={"quote_id": 1, "number": "КП-2026-0001", "status": "sent"},
    )
    assert audit_text(sent, NAMES) == "Коммерческое предложение КП-2026-0001: Отправлено"
    rejected = AuditEntry(
        "ivanova",
        "deal",
        1,
        "quote_status",
        AT,
        before={"status": "sent"},
        after={"number": "КП-2026-0001", "status": "rejected", "reason": "Дорого"},
    )
    assert audit_text(rejected, NAMES) == (
        "Коммерческое предложение КП-2026-0001: Отклонено (Дорого)"
    )
