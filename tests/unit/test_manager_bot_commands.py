"""The managers' bot commands' pure parts: the Готово button's signed data, when a morning
digest is due on each manager's clock, and how a digest reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm_core.model import Manager, Role
from crm_core.my_work import DueTask, Listing, MorningDigest, digest_day
from crm_core.sales import Deal, DealStatus, RecordKind, Task
from workplace.bot.callbacks import CallbackSigner, CardAction, CardCallback
from workplace.bot.digest import Names, digest_text
from workplace.bot.my_tasks import done_data, task_of

SIGNER = CallbackSigner(b"k" * 32)
T0 = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)


def test_done_button_round_trips_and_fits_telegram() -> None:
    data = done_data(SIGNER, 123456789012)
    assert data is not None and len(data.encode()) <= 64
    assert task_of(SIGNER, data) == 123456789012


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.replace("done:5:", "done:6:"),  # another task
        lambda d: d[:-1] + ("A" if d[-1] != "A" else "B"),  # signature
        lambda d: d.rsplit(":", 1)[0],  # no signature
        lambda d: "",
    ],
)
def test_tampered_done_button_is_refused(tamper: object) -> None:
    data = done_data(SIGNER, 5)
    assert data is not None
    assert task_of(SIGNER, tamper(data)) is None  # type: ignore[operator]
    assert task_of(CallbackSigner(b"other"), data) is None


def test_done_and_card_buttons_never_pass_for_each_other() -> None:
    card = SIGNER.sign(CardCallback(CardAction.TAKE, 5))
    done = done_data(SIGNER, 5)
    assert task_of(SIGNER, card) is None
    assert SIGNER.verify(done) is None


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (datetime(2026, 12, 7, 5, 59, tzinfo=UTC), "Europe/Moscow", None),  # 08:59
        (datetime(2026, 12, 7, 6, 0, tzinfo=UTC), "Europe/Moscow", date(2026, 12, 7)),
        (datetime(2026, 12, 7, 8, 59, tzinfo=UTC), "Europe/Moscow", date(2026, 12, 7)),
        (datetime(2026, 12, 7, 9, 0, tzinfo=UTC), "Europe/Moscow", None),  # noon: stale
        # 23:30 UTC on the 6th is 09:30 on the 7th in Vladivostok.
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "Asia/Vladivostok", date(2026, 12, 7)),
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "Europe/Moscow", None),
    ],
)
def test_digest_is_due_from_nine_until_noon_local(
    now: datetime, zone: str, expected: date | None
) -> None:
    assert digest_day(now, zone) == expected


def test_digest_text_escapes_and_links() -> None:
    manager = Manager(
        1, "ivanova", "Анна Иванова", Role.MANAGER, None, None, "Europe/Moscow", True
    )
    task = Task(7, RecordKind.LEAD, 5, "call", "Позвонить <срочно>", T0, 1, None, "t", T0)
    deal = Deal(
        3, "Поставка & монтаж", "main", "opening", DealStatus.OPEN, Decimal("120000"), "RUB",
        [], None, {}, None, None, None, 1, None, None, T0, T0, T0, None,
    )  # fmt: skip
    digest = MorningDigest(
        Listing([DueTask(task, "Иван", True)], 7), Listing([], 0), Listing([deal], 1)
    )
    names = Names("https://crm.example.ru", {("main", "opening"): "Первичный контакт"}, {})
    text = digest_text(digest, manager, date(2026, 12, 7), names)
    assert text.splitlines()[0] == "Доброе утро, Анна! Сводка на 07.12:"
    assert "<b>Просроченные задачи: 7</b>" in text
    assert "Позвонить &lt;срочно&gt;" in text
    assert '<a href="https://crm.example.ru/leads/5">Заявка №5: Иван</a>' in text
    assert '…и ещё 6 <a href="https://crm.example.ru/tasks">в рабочем месте</a>' in text
    assert "Не взятые заявки" not in text  # an empty section is left out
    assert "«Поставка &amp; монтаж» · Первичный контакт · 120 000 RUB" in text
