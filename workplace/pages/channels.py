"""Настройки → Каналы: every configured channel with its health as /readyz sees it; a
Telegram bot's mode and auto-reply changed, and webhooks registered with Telegram and VK,
from the page (heads only). Secrets stay in the environment: shown masked, never in full."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from channels.errors import ChannelError
from channels.telegram import webhook_setup as telegram_setup
from channels.telegram.settings import TelegramBotSettings
from channels.vk import callback_setup as vk_setup
from channels.vk.settings import VkGroupSettings
from crm_core.errors import DomainError, RuleError
from crm_core.model import Manager
from crm_core.storage.ports import StoredSetting
from intake.bootstrap import Services, load_team
from intake.channel_overrides import (
    KIND,
    STALE,
    change_telegram_bot,
    find_bot,
    telegram_key,
)
from intake.http.keys import CHANNEL_POLLERS, SERVICES
from intake.http.ops import channel_checks
from intake.http.settings_documents import mask
from intake.telegram_webhook_watch import TelegramWebhookWatch
from workplace.pages.settings_managers import heads_only_page
from workplace.pages.shared import render

SECTION = "/settings/channels"
TITLE = "Настройки: каналы"
STATES = {
    "connected": "работает",
    "failing": "ошибка",
    "connecting": "подключается",
    "pushed": "ждёт событий",
}


@dataclass(slots=True)
class ChannelRow:
    """One configured channel source as the page shows it."""

    kind: str
    name: str
    mode: str
    state: str
    last_event_at: datetime | None = None
    last_error: str | None = None
    secrets: list[tuple[str, str]] = field(default_factory=list)
    detail: str = ""
    # Only for Telegram bots and VK communities: what the page lets a head change.
    bot: TelegramBotSettings | None = None
    group: VkGroupSettings | None = None
    version: int = 0

    @property
    def state_label(self) -> str:
        """The state in the head's words."""
        return STATES.get(self.state, self.state)


@heads_only_page
async def page(request: web.Request, me: Manager) -> web.StreamResponse:
    """The channels page; a manager gets the 403 page."""
    return await _show(request, me)


@heads_only_page
async def save_telegram(request: web.Request, me: Manager) -> web.StreamResponse:
    """Store a bot's mode and auto-reply text; switching the mode first moves the bot's
    webhook at Telegram (deleteWebhook for polling, setWebhook for the webhook)."""
    services = request.app[SERVICES]
    form = await request.post()
    name = request.match_info["bot_name"]
    try:
        bot = find_bot(services.settings.telegram_bots, name)
        base = find_bot(_file_bots(services), name)
        mode = _text(form.get("mode")) or bot.mode
        auto_reply = _text(form.get("auto_reply"))
        version = _version(form.get("version"))
        async with services.storage.reader() as uow:
            current = await uow.settings.get(KIND, telegram_key(name))
        if version is not None and (current.version if current else 0) != version:
            raise RuleError("version_conflict", "version", STALE)
        moved = ""
        if mode != bot.mode:
            moved = await _move_webhook(services, bot, mode)
        async with services.storage.transaction() as uow:
            await change_telegram_bot(
                uow, me, base, mode=mode, auto_reply=auto_reply, version=version
            )
        await load_team(services)
        # This process's pollers now, so the page shows the bot's new state.
        for follow in list(services.follow_settings):
            await follow()
    except (DomainError, ChannelError) as err:
        return await _show(request, me, error=_message(err))
    notice = f"Бот {name}: настройки сохранены." + (f" {moved}" if moved else "")
    return await _show(request, me, notice=notice)


@heads_only_page
async def register_telegram(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Зарегистрировать вебхук»: setWebhook with the public URL and the bot's secret."""
    services = request.app[SERVICES]
    try:
        bot = find_bot(services.settings.telegram_bots, request.match_info["bot_name"])
        url = await telegram_setup.register_webhook(bot, services.settings.http.public_url)
        await _recheck(request.app, f"telegram:{bot.name}")
    except DomainError as err:
        return await _show(request, me, error=err.message)
    except ChannelError as err:
        return await _show(request, me, error=telegram_setup.in_russian(err))
    return await _show(request, me, notice=f"Вебхук бота {bot.name} зарегистрирован: {url}")


@heads_only_page
async def register_vk(request: web.Request, me: Manager) -> web.StreamResponse:
    """«Зарегистрировать сервер»: the community's Callback API server pointed at us."""
    services = request.app[SERVICES]
    group_id = request.match_info["group_id"]
    group = next((g for g in services.settings.vk_groups if g.name == group_id), None)
    if group is None:
        return await _show(request, me, error=f"Нет сообщества ВКонтакте {group_id}")
    url = f"{services.settings.http.public_url.rstrip('/')}/hooks/vk/{group.group_id}"
    try:
        done = await vk_setup.register_callback(group, url)
    except ChannelError as err:
        return await _show(request, me, error=vk_setup.in_russian(err))
    action = "добавлен" if done.added else "обновлён"
    notice = f"Сервер Callback API сообщества {group_id} {action}: {url}"
    if done.confirmation and done.confirmation != group.confirmation:
        return await _show(
            request,
            me,
            error=notice
            + f". ВКонтакте ждёт строку подтверждения «{done.confirmation}»: укажите её"
            " в confirmation сообщества в файле настроек и перезапустите сервис",
        )
    return await _show(request, me, notice=notice)


async def _recheck(app: web.Application, name: str) -> None:
    """Ask Telegram about the webhook now rather than at the watch's next look (minutes), so
    the page does not show the error of before the registration."""
    watch = app.get(CHANNEL_POLLERS, {}).get(name)
    if isinstance(watch, TelegramWebhookWatch):
        await watch.poll_once()


async def _move_webhook(services: Services, bot: TelegramBotSettings, mode: str) -> str:
    if mode == "polling":
        if bot.token:
            await telegram_setup.remove_webhook(bot)
        return "Вебхук у Telegram удалён, бот переходит на опрос (getUpdates)."
    if mode == "webhook" and bot.token:
        url = await telegram_setup.register_webhook(bot, services.settings.http.public_url)
        return f"Вебхук зарегистрирован: {url}"
    return ""


async def _show(
    request: web.Request,
    me: Manager,
    *,
    notice: str = "",
    error: str = "",
) -> web.Response:
    # Always 200: htmx swaps only a 2xx answer, and the page carries the refusal.
    services = request.app[SERVICES]
    async with services.storage.reader() as uow:
        stored = {s.key: s for s in await uow.settings.list(KIND)}
    context = {
        "title": TITLE,
        "rows": channel_rows(request.app, services, stored),
        "forms": len(services.settings.forms),
        "public_url": services.settings.http.public_url,
        "notice": notice,
        "error": error,
        "after_restart": after_restart(services),
    }
    return render(request, "channels.html", me, context, section=SECTION)


# Pollers started once per process: a changed declaration of theirs needs a restart
# (Telegram's pollers and every webhook follow the stored settings live).
RESTART_ONLY = {
    "email_mailboxes": "почтовые ящики",
    "vk_groups": "сообщества VK в режиме Long Poll",
    "asterisk": "АТС Asterisk",
}


def after_restart(services: Services) -> list[str]:
    """What was declared differently since this process started its pollers."""
    started, now = services.started_channels, services.file_channels
    if started is None or now is None:
        return []
    return [
        label
        for attribute, label in RESTART_ONLY.items()
        if _polled(attribute, started.get(attribute)) != _polled(attribute, now.get(attribute))
    ]


def _polled(attribute: str, sources: Any) -> tuple[Any, ...]:
    items = tuple(sources) if isinstance(sources, tuple) else ()
    if attribute == "vk_groups":
        return tuple(g for g in items if g.mode == "longpoll")
    return items


def channel_rows(
    app: web.Application, services: Services, stored: Mapping[str, StoredSetting]
) -> list[ChannelRow]:
    """Every configured channel source with its health (the /readyz checks, in full)."""
    polled, pushed = channel_checks(app, details=True)
    rows: list[ChannelRow] = []

    def health(row: ChannelRow, polled_key: str, pushed_key: str) -> ChannelRow:
        check = polled.get(polled_key)
        if check is not None:
            row.state = str(check["state"])
            row.last_event_at = _time(check.get("last_event_at"))
            row.last_error = _str(check.get("last_error"))
        last_pushed = _time(pushed.get(pushed_key, {}).get("last_event_at"))
        if last_pushed and (row.last_event_at is None or last_pushed > row.last_event_at):
            row.last_event_at = last_pushed
        return row

    settings = services.settings
    for bot in settings.telegram_bots:
        row = ChannelRow(
            "Telegram",
            bot.name,
            bot.mode,
            "pushed",
            secrets=[
                ("Токен", _secret(bot.token, bot.token_env)),
                ("Секрет вебхука", _secret(bot.webhook_secret, bot.webhook_secret_env)),
            ],
            bot=bot,
            version=_stored_version(stored, telegram_key(bot.name)),
        )
        rows.append(health(row, f"telegram:{bot.name}", f"telegram:{bot.name}"))
    for group in settings.vk_groups:
        row = ChannelRow(
            "ВКонтакте",
            group.name,
            group.mode,
            "pushed",
            secrets=[
                ("Секретный ключ", _secret(group.secret, group.secret_env)),
                ("Ключ доступа", _secret(group.access_token, group.token_env)),
            ],
            group=group,
        )
        rows.append(health(row, f"vk:{group.name}", f"vk:{group.name}"))
    for box in settings.channel("email_mailboxes"):
        row = ChannelRow(
            "Почта",
            box.name,
            "IMAP IDLE" if box.idle else "IMAP, опрос",
            "connecting",
            secrets=[("Пароль", _secret(box.password, ""))],
            detail=f"{box.login} @ {box.host}",
        )
        rows.append(health(row, f"email:{box.name}", f"email:{box.name}"))
    for pbx in settings.asterisk:
        row = ChannelRow(
            "АТС Asterisk",
            pbx.name,
            "AMI",
            "connecting",
            secrets=[("Пароль AMI", _secret(pbx.secret, pbx.secret_env))],
            detail=f"{pbx.host}:{pbx.port}",
        )
        rows.append(health(row, f"asterisk:{pbx.name}", f"call:{pbx.name}"))
    telephony = settings.telephony
    providers: list[tuple[str, str, list[tuple[str, str]]]] = []
    if telephony.mango.enabled:
        providers.append(
            (
                "mango",
                "Манго Офис",
                [
                    ("Ключ API", _secret(telephony.mango.api_key, "")),
                    ("Соль API", _secret(telephony.mango.api_salt, "")),
                ],
            )
        )
    for provider in (telephony.zadarma, telephony.novofon):
        if provider.enabled:
            title = "Zadarma" if provider.provider == "zadarma" else "Новофон"
            providers.append(
                (provider.provider, title, [("Секрет API", _secret(provider.secret, ""))])
            )
    for source in telephony.generic:
        providers.append((source.name, "Телефония", [("Секрет", _secret(source.secret, ""))]))
    for name, title, secrets in providers:
        row = ChannelRow(f"АТС {title}", name, "вебхук", "pushed", secrets=secrets)
        rows.append(health(row, f"call:{name}", f"call:{name}"))
    for account in settings.channel("avito_accounts"):
        row = ChannelRow(
            "Авито",
            account.name,
            "вебхук",
            "pushed",
            secrets=[("Секрет вебхука", _secret(account.webhook_secret, ""))],
        )
        rows.append(health(row, f"avito:{account.name}", f"avito:{account.name}"))
    return rows


def _secret(value: str | None, env: str) -> str:
    """«задан в окружении NAME (••••1234)» / «не задан»: never the secret itself."""
    if not value:
        return f"не задан (переменная {env})" if env else "не задан"
    where = f"задан в окружении {env}" if env else "задан"
    return f"{where} ({mask(value)})"


def _file_bots(services: Services) -> tuple[TelegramBotSettings, ...]:
    sections = services.file_channels or services.settings.channel_sections
    bots = sections.get("telegram_bots", ())
    return bots if isinstance(bots, tuple) else ()


def _stored_version(stored: Mapping[str, StoredSetting], key: str) -> int:
    found = stored.get(key)
    return found.version if found else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _version(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text is not None and text.isdigit() else None


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _message(err: Exception) -> str:
    if isinstance(err, DomainError):
        return err.message
    if isinstance(err, ChannelError):
        return telegram_setup.in_russian(err)
    return str(err)
