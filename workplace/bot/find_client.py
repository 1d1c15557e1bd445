"""/find <phone | e-mail | name>: the Клиенты page's search (`crm_core.client_search`, the
same access rule), each contact found with the open leads and deals the manager may see,
linked to their pages. The query is never logged."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from crm_core.model import Manager
from crm_core.my_work import ClientOverview, find_clients
from intake.bootstrap import Services
from workplace.bot import command_texts as t
from workplace.bot.filters import LinkedManager
from workplace.pages.shared import phone

CLIENTS_SHOWN = 5
MAX_QUERY = 200


def build_router() -> Router:
    """A fresh Router of this feature (a Router joins one Dispatcher only)."""
    router = Router(name="find_client")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(find, Command("find"), LinkedManager())
    return router


async def find(
    message: Message, command: CommandObject, manager: Manager, services: Services
) -> None:
    """Search and answer with what the manager may see."""
    query = (command.args or "").strip()[:MAX_QUERY]
    if not query:
        await message.answer(t.FIND_USAGE)
        return
    region = services.settings.intake.default_region
    async with services.storage.reader() as uow:
        found = await find_clients(uow, manager, query, region, CLIENTS_SHOWN)
    if not found:
        await message.answer(t.FIND_NOTHING)
        return
    base = services.settings.notifications.public_url
    stages = {(p.key, s.key): s.name for p in services.sales.pipelines.values() for s in p.stages}
    sources = {f.key: f.name for f in services.settings.forms}
    blocks = [t.esc(t.FIND_TITLE.format(count=len(found)))]
    for overview in found:
        blocks.append(client_block(overview, base, manager.timezone, stages, sources))
    await message.answer("\n\n".join(blocks), parse_mode="HTML", disable_web_page_preview=True)


def client_block(
    overview: ClientOverview,
    base: str,
    timezone: str,
    stages: dict[tuple[str, str], str],
    sources: dict[str, str],
) -> str:
    """The contact (name, phones, e-mails, company) and their open leads and deals."""
    contact = overview.contact
    name = t.link(
        t.page_url(base, f"/clients/contacts/{contact.id}"),
        f"<b>{t.esc(contact.name or t.CONTACT_NO_NAME)}</b>",
    )
    details = [phone(p) for p in contact.phones] + list(contact.emails)
    if contact.company_name:
        details.append(contact.company_name)
    lines = [name + (f" · {t.esc(', '.join(details))}" if details else "")]
    lines += [f"• {t.lead_line(lead, base, timezone, sources)}" for lead in overview.leads]
    lines += [f"• {t.deal_line(deal, base, stages)}" for deal in overview.deals]
    if not overview.leads and not overview.deals:
        lines.append(t.esc(t.FIND_NO_OPEN))
    return "\n".join(lines)
