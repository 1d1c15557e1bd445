"""/tasks: the manager's tasks due today and overdue, each with a Готово button that marks it
done through the API's command (`crm_core.deals.set_task_done`, the same permission check).

The button's data is signed (`done:<task id>`): a forged or altered one answers «Кнопка
устарела» and changes nothing; a second press of a genuine one keeps the first done time.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from crm_core.deals import set_task_done
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.my_work import DueTask, Listing, due_tasks
from intake.bootstrap import Services
from intake.clock import utcnow
from workplace.bot import command_texts as t
from workplace.bot import texts
from workplace.bot.callbacks import CallbackSigner
from workplace.bot.filters import LinkedManager

log = logging.getLogger(__name__)
TASKS_SHOWN = 20
DONE_PREFIX = "done:"
TITLE_IN_BUTTON = 24


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="my_tasks")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(list_tasks, Command("tasks"), LinkedManager())
    # Strangers' presses fall through to lead_card's refusal.
    router.callback_query.register(done_button, F.data.startswith(DONE_PREFIX), LinkedManager())
    return router


def done_data(signer: CallbackSigner, task_id: int) -> str | None:
    """The signed callback data of a task's Готово button."""
    return signer.sign_text(f"{DONE_PREFIX}{task_id}")


def task_of(signer: CallbackSigner, data: str | None) -> int | None:
    """The task id a Готово button's data carries, if its signature holds."""
    body = signer.verify_text(data)
    if body is None or not body.startswith(DONE_PREFIX):
        return None
    task_id = body.removeprefix(DONE_PREFIX)
    return int(task_id) if task_id.isdecimal() and len(task_id) < 19 else None


async def list_tasks(
    message: Message, manager: Manager, services: Services, signer: CallbackSigner
) -> None:
    """Today's and overdue tasks, overdue first, by due time."""
    text, keyboard = await tasks_message(services, manager, signer)
    await message.answer(
        text, parse_mode="HTML", reply_markup=keyboard, disable_web_page_preview=True
    )


async def done_button(
    query: CallbackQuery, manager: Manager, services: Services, signer: CallbackSigner
) -> None:
    """Готово: the task is done (once), and the list is redrawn without it."""
    task_id = task_of(signer, query.data)
    if task_id is None:
        log.warning("manager_bot_bad_callback manager_id=%d", manager.id)
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    try:
        async with services.storage.transaction() as uow:
            before = await uow.sales.get_task(task_id)
            await set_task_done(uow, task_id, True, manager, utcnow())
    except DomainError:
        await query.answer(t.TASK_UNAVAILABLE, show_alert=True)
        return
    already = before is not None and before.done_at is not None
    log.info("manager_bot_task_done manager_id=%d task_id=%d", manager.id, task_id)
    await query.answer(t.TASK_ALREADY_DONE if already else t.TASK_DONE)
    if isinstance(query.message, Message) and not already:
        text, keyboard = await tasks_message(services, manager, signer)
        await query.message.edit_text(
            text, parse_mode="HTML", reply_markup=keyboard, disable_web_page_preview=True
        )


async def tasks_message(
    services: Services, manager: Manager, signer: CallbackSigner
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list's text and its Готово buttons, as of now."""
    async with services.storage.reader() as uow:
        listing = await due_tasks(uow, manager, utcnow(), TASKS_SHOWN)
    if not listing.items:
        return t.esc(t.NO_TASKS), None
    base = services.settings.notifications.public_url
    lines = [t.esc(t.TASKS_TITLE.format(total=listing.total))]
    lines += [
        t.task_line(n, due, base, manager.timezone) for n, due in enumerate(listing.items, 1)
    ]
    if listing.more:
        lines.append(t.more_line(listing.more, base, "/tasks"))
    return "\n".join(lines), done_keyboard(signer, listing)


def done_keyboard(signer: CallbackSigner, listing: Listing[DueTask]) -> InlineKeyboardMarkup:
    """One «Готово N: title» button per task, numbered as in the text."""
    rows = []
    for n, due in enumerate(listing.items, 1):
        data = done_data(signer, due.task.id)
        if data is None:
            continue
        title = due.task.title
        if len(title) > TITLE_IN_BUTTON:
            title = title[: TITLE_IN_BUTTON - 1] + "…"
        text = f"{t.DONE} {n}: {title}"
        rows.append([InlineKeyboardButton(text=text, callback_data=data)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
