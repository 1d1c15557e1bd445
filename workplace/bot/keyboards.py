"""The new-lead card's keyboards: the main one and the second ones (junk reasons, call back)."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from workplace.bot.callbacks import CallbackSigner, CardAction, CardCallback

TAKE = "Взять"
JUNK = "Брак"
LATER = "Перезвонить позже"
OPEN = "Открыть"
BACK = "« Назад"
# Call-back choices: argument → label.
LATER_CHOICES: dict[str, str] = {"1h": "Через 1 ч", "3h": "Через 3 ч", "tomorrow": "Завтра 10:00"}


def _button(
    signer: CallbackSigner, text: str, action: CardAction, lead_id: int, argument: str = ""
) -> InlineKeyboardButton | None:
    data = signer.sign(CardCallback(action, lead_id, argument))
    return InlineKeyboardButton(text=text, callback_data=data) if data else None


def _rows(*rows: list[InlineKeyboardButton | None]) -> InlineKeyboardMarkup:
    kept = [[b for b in row if b is not None] for row in rows]
    return InlineKeyboardMarkup(inline_keyboard=[row for row in kept if row])


def card_keyboard(signer: CallbackSigner, lead_id: int, link: str | None) -> InlineKeyboardMarkup:
    """Взять / Брак / Перезвонить позже / Открыть (the last when the link is an http URL)."""
    open_row: list[InlineKeyboardButton | None] = []
    if link and link.startswith(("http://", "https://")):
        open_row.append(InlineKeyboardButton(text=OPEN, url=link))
    return _rows(
        [
            _button(signer, TAKE, CardAction.TAKE, lead_id),
            _button(signer, JUNK, CardAction.JUNK_MENU, lead_id),
        ],
        [_button(signer, LATER, CardAction.LATER_MENU, lead_id)],
        open_row,
    )


def junk_keyboard(
    signer: CallbackSigner, lead_id: int, reasons: Mapping[str, str]
) -> InlineKeyboardMarkup:
    """One button per configured junk reason, then back to the card."""
    rows = [
        [_button(signer, name, CardAction.JUNK, lead_id, key)] for key, name in reasons.items()
    ]
    return _rows(*rows, [_button(signer, BACK, CardAction.BACK, lead_id)])


def later_keyboard(signer: CallbackSigner, lead_id: int) -> InlineKeyboardMarkup:
    """In 1 h, in 3 h, tomorrow at 10:00 in the manager's timezone; then back to the card."""
    return _rows(
        [
            _button(signer, label, CardAction.LATER, lead_id, key)
            for key, label in LATER_CHOICES.items()
        ],
        [_button(signer, BACK, CardAction.BACK, lead_id)],
    )
