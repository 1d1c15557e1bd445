"""Settings loaded once into frozen dataclasses; the only module that reads the environment."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from channels.registry import CHANNELS
from channels.spec import ConfigTable, SettingsContext, SettingsSection
from config.abuse_settings import (
    FORM_RATE_ENV,
    FormAbuseSettings,
    SmartCaptchaSettings,
    TokenSettings,
    form_abuse,
    smartcaptcha_settings,
    token_settings,
    trusted_proxies,
)
from config.asterisk_settings import AsteriskSettings
from config.channel_settings import EmailMailboxSettings, TelegramBotSettings, VkGroupSettings
from config.documents_settings import DocumentSettings, documents_settings
from config.manager_bot_settings import ManagerBotSettings, manager_bot_settings
from config.privacy_settings import PrivacySettings, privacy_settings
from config.reader import IDENTIFIER, ConfigError, Section
from config.replies_settings import RepliesSettings, replies_settings
from config.telephony_settings import LineRoute, TelephonySettings
from config.webhooks_settings import WebhookSettings, webhook_settings
from config.workplace_settings import WorkplaceSettings, workplace_settings
from crm_core.pipelines import Pipeline, Stage, StageKind
from crm_core.schedule import WorkingHours
from dedupe.decision import Thresholds

DEFAULT_CONFIG_PATH = Path("config/default.toml")
PACKAGED_DEFAULT = Path(__file__).with_name("default.toml")
ROLES = ("manager", "head")
TERMINAL_STAGE_KINDS = ("open", "won", "lost")
STAGE_ORDERS = ("strict", "semi_strict", "free")
SMTP_TLS_MODES = ("none", "starttls", "tls")
FALLBACK_WAIT = "wait"
"""A queue's `fallback` value meaning: wait for the first member to come on duty."""
DEFAULT_JUNK_REASONS = (
    ("no_answer", "Не дозвонились"),
    ("no_interest", "Нет интереса"),
    ("refused", "Отказ"),
    ("spam", "Спам"),
    ("duplicate", "Дубль"),
    ("wrong_contact", "Неверные контакты"),
    ("other", "Другое"),
)
# Names of the environment variables holding the secrets, not the secrets themselves.
DEFAULT_TELEGRAM_TOKEN_ENV = "LEADINTAKE_TELEGRAM_BOT_TOKEN"  # noqa: S105
DEFAULT_SMTP_PASSWORD_ENV = "LEADINTAKE_SMTP_PASSWORD"  # noqa: S105
DEFAULT_TELEGRAM_API_BASE = "https://api.telegram.org"
_DURATION = re.compile(r"(?:\d+[dhms])+")
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRETS = frozenset({"telegram_bot_token", "smtp_password"})


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Where the HTTP server listens and how much it accepts."""

    host: str
    port: int
    max_body_bytes: int
    public_url: str
    # Peers whose X-Forwarded-For names the client (CIDR); slow clients are dropped after these.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Database URL: sqlite:///relative/path, sqlite:////absolute/path or postgresql://..."""

    url: str
    pool_min: int
    pool_max: int

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite backend."""
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        """Filesystem path of the SQLite database (SQLAlchemy-style URL)."""
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    """Inbox worker tuning and phone normalization region."""

    default_region: str
    worker_batch: int
    worker_poll_seconds: float
    worker_coalesce_ms: int
    max_attempts: int
    max_commit_batch: int
    max_form_fields: int = 200
    max_field_chars: int = 10_000
    # Website forms per form and client IP: a token bucket; 0 turns the limit off.
    form_rate_per_minute: int = 20
    form_rate_burst: int = 10
    form_rate_max_keys: int = 100_000


@dataclass(frozen=True, slots=True)
class AbsenceSettings:
    """A stretch of leave or sickness: [start, end), both timezone-aware."""

    start: datetime
    end: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class ManagerSettings:
    """A sales manager or head of sales."""

    login: str
    name: str
    role: str
    email: str | None
    telegram_chat_id: str | None
    timezone: str
    active: bool
    # {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"} in `timezone`; None: always on duty.
    working_hours: dict[str, str] | None = None
    absences: tuple[AbsenceSettings, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueMemberSettings:
    """A manager in a queue: share of leads (weight) and daily cap (None: no cap)."""

    login: str
    weight: int = 1
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A lead flow: the managers who receive leads from the forms and channels feeding it.

    `managers` lists the members' logins; `members` adds their weights and caps (built
    from `managers` with weight 1 when not given). `fallback` is a login, FALLBACK_WAIT,
    or None, which also means waiting for the first member on duty.
    """

    key: str
    name: str
    managers: tuple[str, ...]
    fallback: str | None
    members: tuple[QueueMemberSettings, ...] = ()
    acceptance_timeout: timedelta | None = None
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.members:
            members = tuple(QueueMemberSettings(login) for login in self.managers)
            object.__setattr__(self, "members", members)
        elif tuple(m.login for m in self.members) != tuple(self.managers):
            raise ValueError(f"queue {self.key!r}: members and managers list different logins")


@dataclass(frozen=True, slots=True)
class StageTaskSettings:
    """A task created when a deal enters a stage, due `due_in` after the move."""

    title: str
    task_type: str
    due_in: timedelta


@dataclass(frozen=True, slots=True)
class StageSettings:
    """One stage of a deal pipeline."""

    key: str
    name: str
    kind: str
    required_fields: tuple[str, ...] = ()
    tasks: tuple[StageTaskSettings, ...] = ()
    color: str | None = None
    on_invoice: bool = False
    on_payment: bool = False


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """A deal pipeline (sales direction) with ordered stages."""

    key: str
    name: str
    stage_order: str
    stages: tuple[StageSettings, ...]
    require_next_activity: bool = True
    lost_requires_approval: bool = False
    lost_reasons: tuple[str, ...] = ()
    won_requires_shipment: bool = False
    ship_before_payment: bool = False


# Form services whose JSON is mapped without a field_map (channels/webform/spec.PRESETS).
FORM_PRESETS = ("yandex_forms",)


@dataclass(frozen=True, slots=True)
class FormSettings:
    """A website form accepted on /api/v1/forms/{key}."""

    key: str
    name: str
    secret: str | None
    secret_header: str
    secret_field: str
    field_map: dict[str, str]
    honeypot_fields: tuple[str, ...]
    consent_text_version: str | None
    redirect_url: str | None
    allowed_redirect_hosts: tuple[str, ...]
    queue: str | None
    pipeline: str | None
    abuse: FormAbuseSettings = field(default_factory=FormAbuseSettings)
    preset: str | None = None  # a form service's JSON mapped built-in: FORM_PRESETS


@dataclass(frozen=True, slots=True)
class JunkReasonSettings:
    """A reason a lead can be closed as junk: stable key and the name managers see."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class LeadSettings:
    """Lead processing: the reasons offered when a lead is closed as junk."""

    junk_reasons: tuple[JunkReasonSettings, ...] = tuple(
        JunkReasonSettings(key, name) for key, name in DEFAULT_JUNK_REASONS
    )


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """How managers are notified: links, the Telegram bot, the SMTP server, the dispatcher.

    Secrets are read from the environment variables the `*_env` fields name, never from TOML.
    """

    public_url: str = "http://127.0.0.1:8080"
    telegram_bot_token_env: str = DEFAULT_TELEGRAM_TOKEN_ENV
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_base: str = DEFAULT_TELEGRAM_API_BASE
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str | None = None
    smtp_username: str | None = None
    smtp_password_env: str = DEFAULT_SMTP_PASSWORD_ENV
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "none"
    dispatch_batch: int = 50
    # Heads are alerted when a channel has been failing this long (IMAP login refused, ...).
    channel_alert_minutes: int = 15

    @property
    def telegram_enabled(self) -> bool:
        """True when a bot token is configured."""
        return self.telegram_bot_token is not None

    @property
    def email_enabled(self) -> bool:
        """True when an SMTP server is configured."""
        return self.smtp_host is not None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service is configured with."""

    source: str
    http: HttpSettings
    database: DatabaseSettings
    intake: IntakeSettings
    log_level: str
    managers: tuple[ManagerSettings, ...]
    queues: tuple[QueueSettings, ...]
    pipelines: tuple[PipelineSettings, ...]
    forms: tuple[FormSettings, ...]
    dedupe: Thresholds = field(default_factory=Thresholds)
    leads: LeadSettings = field(default_factory=LeadSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    smartcaptcha: SmartCaptchaSettings = field(default_factory=SmartCaptchaSettings)
    workplace: WorkplaceSettings = field(default_factory=WorkplaceSettings)
    manager_bot: ManagerBotSettings = field(default_factory=ManagerBotSettings)
    replies: RepliesSettings = field(default_factory=RepliesSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    # Each channel's settings sections (channels/registry.py), by SettingsSection.attribute.
    channel_sections: Mapping[str, Any] = field(default_factory=dict)
    # The file's channel tables as written (`[telegram]`, `[vk]`, ...: names of environment
    # variables, never secrets): the first-start seed of the stored channel declarations.
    channel_tables: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The environment the settings were read with: stored channel declarations are parsed
    # again with it, so their secrets come from the same place as the file's did.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def channel(self, attribute: str) -> Any:
        """A channel's settings section as its spec parsed it (`()` when it has none)."""
        return self.channel_sections.get(attribute, ())

    @property
    def telegram_bots(self) -> tuple[TelegramBotSettings, ...]:
        """`[[telegram.bots]]`."""
        bots: tuple[TelegramBotSettings, ...] = self.channel("telegram_bots")
        return bots

    @property
    def vk_groups(self) -> tuple[VkGroupSettings, ...]:
        """`[[vk.groups]]`."""
        groups: tuple[VkGroupSettings, ...] = self.channel("vk_groups")
        return groups

    @property
    def email_mailboxes(self) -> tuple[EmailMailboxSettings, ...]:
        """`[[email.mailboxes]]`."""
        mailboxes: tuple[EmailMailboxSettings, ...] = self.channel("email_mailboxes")
        return mailboxes

    @property
    def telephony(self) -> TelephonySettings:
        """`[telephony]`."""
        found = self.channel_sections.get("telephony")
        return found if isinstance(found, TelephonySettings) else TelephonySettings()

    @property
    def asterisk(self) -> tuple[AsteriskSettings, ...]:
        """`[[telephony.asterisk]]`."""
        pbxes: tuple[AsteriskSettings, ...] = self.channel("asterisk")
        return pbxes

    def form(self, key: str) -> FormSettings | None:
        """The form with this key, if configured."""
        return next((f for f in self.forms if f.key == key), None)

    def manager(self, login: str) -> ManagerSettings | None:
        """The manager with this login, if configured."""
        return next((m for m in self.managers if m.login == login), None)

    def queue(self, key: str) -> QueueSettings | None:
        """The queue with this key, if configured."""
        return next((q for q in self.queues if q.key == key), None)

    def pipeline(self, key: str) -> PipelineSettings | None:
        """The pipeline with this key, if configured."""
        return next((p for p in self.pipelines if p.key == key), None)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the TOML file (LEADINTAKE_CONFIG or config/default.toml) and apply env overrides."""
    env = os.environ if environ is None else environ
    config_path = Path(path or env.get("LEADINTAKE_CONFIG") or _default_path())
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{config_path}: file not found") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{config_path}: not valid TOML: {err}") from err
    _apply_env(raw, env)
    return _build(Section(str(config_path), "", raw), env)


# The top-level tables the channels' settings parsers read (channels/*/settings.py).
CHANNEL_TABLES = ("telegram", "vk", "email", "telephony", "avito")


def channel_sections_from(
    tables: Mapping[str, Any],
    source: str,
    env: Mapping[str, str],
    context: SettingsContext,
) -> Mapping[str, Any]:
    """Every channel's settings sections parsed from channel tables (`CHANNEL_TABLES` as TOML
    gives them), checked as the config file's are; ConfigError naming the field."""
    return _channel_sections(Section(source, "", dict(tables)), env, context)


def sales_from_tables(
    tables: Mapping[str, Any], source: str, environ: Mapping[str, str] | None = None
) -> SalesSection:
    """The sales tables (`managers`, `queues`, `pipelines`, `forms` as TOML gives them) checked
    together as the config file's are; secrets such as a form's captcha key come from the
    environment."""
    return sales_section(
        Section(source, "", dict(tables)), os.environ if environ is None else environ
    )


def _default_path() -> Path:
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else PACKAGED_DEFAULT


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "LEADINTAKE_DATABASE_URL": ("database", "url"),
    "LEADINTAKE_HTTP_HOST": ("http", "host"),
    "LEADINTAKE_HTTP_PORT": ("http", "port"),
    "LEADINTAKE_PUBLIC_URL": ("http", "public_url"),
    "LEADINTAKE_LOG_LEVEL": ("logging", "level"),
    "LEADINTAKE_TELEGRAM_API_BASE": ("notifications", "telegram_api_base"),
    "LEADINTAKE_SMTP_HOST": ("notifications", "smtp_host"),
    "LEADINTAKE_SMTP_PORT": ("notifications", "smtp_port"),
    "LEADINTAKE_SMTP_SENDER": ("notifications", "smtp_sender"),
    "LEADINTAKE_SMTP_USERNAME": ("notifications", "smtp_username"),
    "LEADINTAKE_SMTP_TLS": ("notifications", "smtp_tls"),
    FORM_RATE_ENV: ("intake", "form_rate_per_minute"),
    "LEADINTAKE_MANAGER_BOT_API_BASE": ("manager_bot", "api_base"),
}
_INTEGER_KEYS = frozenset({"port", "smtp_port", "form_rate_per_minute"})


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for var, (table, key) in ENV_OVERRIDES.items():
        if var in env:
            value: Any = env[var]
            if key in _INTEGER_KEYS:
                value = _env_int(var, value)
            raw.setdefault(table, {})[key] = value


def _env_int(var: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as err:
        raise ConfigError(f"environment {var}: must be an integer, got {value!r}") from err


@dataclass(frozen=True, slots=True)
class SalesSection:
    """The sales setup: `[[managers]]`, `[[queues]]`, `[[pipelines]]` and `[[forms]]`; and
    the reference lists kept with it: `[leads] junk_reasons`, `[telephony.lines]` and
    `[telephony.extensions]`."""

    managers: tuple[ManagerSettings, ...]
    queues: tuple[QueueSettings, ...]
    pipelines: tuple[PipelineSettings, ...]
    forms: tuple[FormSettings, ...]
    leads: LeadSettings = field(default_factory=LeadSettings)
    lines: Mapping[str, LineRoute] = field(default_factory=dict)  # by normalized number
    extensions: Mapping[str, str] = field(default_factory=dict)  # extension → login
    # The channel declarations by table (`telegram`, `vk`, ...) as written, without the phone
    # lines and extensions; None: not part of this setup (kept as they are).
    channels: Mapping[str, Mapping[str, Any]] | None = None


def sales_section(root: Section, env: Mapping[str, str]) -> SalesSection:
    """The sales tables of a config root, checked together (a queue names known managers, a
    form known queues and pipelines); the file, the API and `settings import` all use it."""
    managers = tuple(_manager(s) for s in root.array("managers"))
    _unique(root, "managers", [m.login for m in managers])
    logins = {m.login for m in managers}
    queues = tuple(_queue(s, logins) for s in root.array("queues"))
    _unique(root, "queues", [q.key for q in queues])
    _channels_unique(root.array("queues"), queues)
    _queues_staffed(root.array("queues"), queues, managers)
    pipelines = tuple(_pipeline(s) for s in root.array("pipelines"))
    _unique(root, "pipelines", [p.key for p in pipelines])
    forms = tuple(
        _form(s, [q.key for q in queues], [p.key for p in pipelines], env)
        for s in root.array("forms")
    )
    _unique(root, "forms", [f.key for f in forms])
    return SalesSection(managers, queues, pipelines, forms)


def _queues_staffed(
    sections: list[Section],
    queues: tuple[QueueSettings, ...],
    managers: tuple[ManagerSettings, ...],
) -> None:
    """A queue's fallback takes what nobody on duty can: a head of sales, not a manager; and
    someone (an active member or the fallback) can take the queue's leads at all."""
    by_login = {m.login: m for m in managers}
    for s, queue in zip(sections, queues, strict=True):
        fallback = by_login.get(queue.fallback or "")
        if queue.fallback not in (None, FALLBACK_WAIT) and (
            fallback is None or fallback.role != "head"
        ):
            raise s.error(
                "fallback",
                f"must be a head of sales (role 'head'); {queue.fallback!r} is a manager",
            )
        on_duty = any(by_login[m.login].active for m in queue.members)
        if not on_duty and not (fallback is not None and fallback.active):
            raise s.error(
                "managers",
                "nobody in this queue is ever on duty: add an active member or an active head"
                " as fallback",
            )


def _build(root: Section, env: Mapping[str, str]) -> Settings:
    http = root.table("http")
    db = root.table("database")
    intake = root.table("intake")
    sales = sales_section(root, env)
    managers, queues, pipelines, forms = (
        sales.managers,
        sales.queues,
        sales.pipelines,
        sales.forms,
    )
    logins = {m.login for m in managers}
    port = http.integer("port", 8080, minimum=1, maximum=65535)
    host = http.string("host", "127.0.0.1")
    public_url = http.string("public_url", f"http://{host}:{port}").rstrip("/")
    return Settings(
        source=root.source,
        http=HttpSettings(
            host=host,
            port=port,
            max_body_bytes=http.integer("max_body_bytes", 64 * 1024, minimum=1024),
            public_url=public_url,
            trusted_proxies=trusted_proxies(http),
            header_timeout_seconds=http.number("header_timeout_seconds", 10.0, minimum=0.1),
            body_timeout_seconds=http.number("body_timeout_seconds", 30.0, minimum=0.1),
        ),
        database=_database(db),
        intake=IntakeSettings(
            default_region=intake.string("default_region", "RU").upper(),
            worker_batch=intake.integer("worker_batch", 50, minimum=1, maximum=1000),
            worker_poll_seconds=intake.number("worker_poll_seconds", 0.5, minimum=0.01),
            worker_coalesce_ms=intake.integer("worker_coalesce_ms", 20, minimum=0, maximum=500),
            max_attempts=intake.integer("max_attempts", 5, minimum=1),
            max_commit_batch=intake.integer("max_commit_batch", 256, minimum=1, maximum=5000),
            max_form_fields=intake.integer("max_form_fields", 200, minimum=10, maximum=10_000),
            max_field_chars=intake.integer(
                "max_field_chars", 10_000, minimum=100, maximum=1_000_000
            ),
            form_rate_per_minute=intake.integer(
                "form_rate_per_minute", 20, minimum=0, maximum=100_000
            ),
            form_rate_burst=intake.integer("form_rate_burst", 10, minimum=1, maximum=100_000),
            form_rate_max_keys=intake.integer(
                "form_rate_max_keys", 100_000, minimum=100, maximum=10_000_000
            ),
        ),
        log_level=root.table("logging").choice(
            "level", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
        ),
        managers=managers,
        queues=queues,
        pipelines=pipelines,
        forms=forms,
        dedupe=_dedupe(root.table("dedupe")),
        leads=_leads(root.table("leads")),
        notifications=_notifications(root.table("notifications"), public_url, env),
        tokens=token_settings(root.table("tokens")),
        smartcaptcha=smartcaptcha_settings(root.table("smartcaptcha")),
        workplace=workplace_settings(root.table("workplace")),
        manager_bot=manager_bot_settings(root.table("manager_bot"), env),
        replies=replies_settings(root.table("replies")),
        webhooks=webhook_settings(root.table("webhooks")),
        documents=documents_settings(root.table("documents")),
        privacy=privacy_settings(root.table("privacy")),
        channel_sections=_channel_sections(
            root,
            env,
            SettingsContext(
                logins=frozenset(logins),
                queues=frozenset(q.key for q in queues),
                pipelines=frozenset(p.key for p in pipelines),
            ),
        ),
        channel_tables={k: root.data[k] for k in CHANNEL_TABLES if k in root.data},
        environ=env,
    )


def _channel_sections(
    root: Section, env: Mapping[str, str], context: SettingsContext
) -> Mapping[str, Any]:
    """Every registered channel's settings sections, parsed by the channel's own parser."""
    sections: dict[str, Any] = {}
    for spec in CHANNELS:
        for section in spec.settings:
            sections[section.attribute] = _channel_section(root, env, context, section)
    return MappingProxyType(sections)


def _channel_section(
    root: Section, env: Mapping[str, str], context: SettingsContext, section: SettingsSection
) -> Any:
    # Declared so mypy checks that the reader's Section is what channel parsers expect.
    table: ConfigTable = root
    parse = section.parse
    value = parse(table, env, context) if section.needs_context else parse(table, env)
    if section.routed:
        _routed(root, section.where, value, context)
    return value


def _routed(root: Section, where: str, sources: tuple[Any, ...], context: SettingsContext) -> None:
    """Channel sources (with `queue` and `pipeline`) name only configured queues and pipelines."""
    for source in sources:
        if source.queue is not None and source.queue not in context.queues:
            raise root.error(where, f"unknown queue {source.queue!r}")
        if source.pipeline is not None and source.pipeline not in context.pipelines:
            raise root.error(where, f"unknown pipeline {source.pipeline!r}")


def _database(db: Section) -> DatabaseSettings:
    url = db.string("url", "sqlite:///./var/leadintake.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if not url.startswith(("sqlite:///", "postgresql://")):
        raise db.error("url", "must start with sqlite:/// or postgresql://")
    if url == "sqlite:///":
        raise db.error("url", "names no file")
    pool_min = db.integer("pool_min", 2, minimum=1)
    return DatabaseSettings(
        url=url, pool_min=pool_min, pool_max=db.integer("pool_max", 10, minimum=pool_min)
    )


def _manager(s: Section) -> ManagerSettings:
    tz = s.string("timezone", "Europe/Moscow")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise s.error("timezone", f"unknown time zone {tz!r}") from err
    return ManagerSettings(
        login=s.identifier("login"),
        name=s.string("name"),
        role=s.choice("role", "manager", ROLES),
        email=s.optional_string("email"),
        telegram_chat_id=s.optional_string("telegram_chat_id"),
        timezone=tz,
        active=s.boolean("active", True),
        working_hours=_working_hours(s, tz),
        absences=tuple(_absence(a) for a in s.array("absences")),
    )


def _working_hours(s: Section, tz: str) -> dict[str, str] | None:
    if "working_hours" not in s.data:
        return None
    spec = s.string_map("working_hours")
    if not spec:
        raise s.error("working_hours", "names no days; leave it out to be always on duty")
    try:
        WorkingHours.parse(spec, tz)
    except ValueError as err:
        raise s.error("working_hours", str(err)) from err
    return spec


def _absence(s: Section) -> AbsenceSettings:
    _only(s, ("from", "to", "note"))
    start, end = _aware(s, "from"), _aware(s, "to")
    if end <= start:
        raise s.error("to", f"must be after from ({start.isoformat()}), got {end.isoformat()}")
    return AbsenceSettings(start=start, end=end, note=s.optional_string("note") or "")


def _aware(s: Section, key: str) -> datetime:
    value = s.data.get(key)
    if value is None:
        raise s.error(key, "is required")
    if not isinstance(value, datetime):
        shown = value.isoformat() if isinstance(value, date | time) else repr(value)
        raise s.error(key, f"must be a date-time like 2026-12-29T00:00:00+03:00, got {shown}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise s.error(
            key,
            f"must carry a UTC offset, like {value.isoformat()}+03:00; got {value.isoformat()}",
        )
    return value


def _queue(s: Section, logins: set[str]) -> QueueSettings:
    key = s.identifier("key")
    members = _members(s, logins)
    fallback = s.optional_string("fallback")
    if fallback == FALLBACK_WAIT and FALLBACK_WAIT in logins:
        raise s.error("fallback", f"{FALLBACK_WAIT!r} is both a manager login and the keyword")
    if fallback not in (None, FALLBACK_WAIT) and fallback not in logins:
        raise s.error("fallback", f"unknown manager {fallback!r}")
    timeout = _optional_duration(s, "acceptance_timeout")
    if timeout is not None and timeout <= timedelta(0):
        raise s.error("acceptance_timeout", "must be longer than zero")
    channels = s.string_list("channels", [])
    for channel in channels:
        if not IDENTIFIER.match(channel):
            raise s.error("channels", f"{channel!r} is not a channel name like 'telegram'")
    _unique(s, "channels", channels)
    return QueueSettings(
        key=key,
        name=s.string("name"),
        managers=tuple(m.login for m in members),
        fallback=fallback,
        members=members,
        acceptance_timeout=timeout,
        channels=tuple(channels),
    )


def _members(s: Section, logins: set[str]) -> tuple[QueueMemberSettings, ...]:
    """Queue members: plain logins (weight 1, no cap) or {login, weight, capacity} tables."""
    entries = s.data.get("managers", [])
    if not isinstance(entries, list):
        raise s.error("managers", "must be a list of logins or {login, weight, capacity} tables")
    members: list[QueueMemberSettings] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            if entry not in logins:
                raise s.error("managers", f"unknown manager {entry!r}")
            member = QueueMemberSettings(entry)
        elif isinstance(entry, dict):
            m = Section(s.source, f"{s.path}.managers[{i}]", entry)
            _only(m, ("login", "weight", "capacity"))
            login = m.string("login")
            if login not in logins:
                raise m.error("login", f"unknown manager {login!r}")
            capacity = None
            if m.data.get("capacity") is not None:
                capacity = m.integer("capacity", 1, minimum=1, maximum=100_000)
            member = QueueMemberSettings(
                login, m.integer("weight", 1, minimum=1, maximum=1000), capacity
            )
        else:
            raise s.error("managers", f"must be logins or tables, got {entry!r}")
        if any(seen.login == member.login for seen in members):
            raise s.error("managers", f"manager {member.login!r} is listed twice")
        members.append(member)
    return tuple(members)


def _channels_unique(sections: list[Section], queues: tuple[QueueSettings, ...]) -> None:
    """A channel feeds one queue; a second listing could never receive a lead."""
    taken: dict[str, str] = {}
    for s, queue in zip(sections, queues, strict=True):
        for channel in queue.channels:
            if channel in taken:
                raise s.error(
                    "channels", f"{channel!r} is already taken by queue {taken[channel]!r}"
                )
            taken[channel] = queue.key


def _pipeline(s: Section) -> PipelineSettings:
    stages = tuple(_stage(st) for st in s.array("stages"))
    if not stages:
        raise s.error("stages", "a pipeline needs at least one stage")
    kinds = [st.kind for st in stages]
    if "won" not in kinds or "lost" not in kinds:
        raise s.error("stages", "a pipeline needs one stage of kind 'won' and one of kind 'lost'")
    _unique(s, "stages", [st.key for st in stages])
    lost_reasons = [r.strip() for r in s.string_list("lost_reasons", [])]
    if not all(lost_reasons):
        raise s.error("lost_reasons", "must not contain empty reasons")
    _unique(s, "lost_reasons", lost_reasons)
    pipeline = PipelineSettings(
        key=s.identifier("key"),
        name=s.string("name"),
        stage_order=s.choice("stage_order", "free", STAGE_ORDERS),
        stages=stages,
        require_next_activity=s.boolean("require_next_activity", True),
        lost_requires_approval=s.boolean("lost_requires_approval", False),
        lost_reasons=tuple(lost_reasons),
        won_requires_shipment=s.boolean("won_requires_shipment", False),
        ship_before_payment=s.boolean("ship_before_payment", False),
    )
    _check_pipeline_rules(s, pipeline)
    return pipeline


def _stage(s: Section) -> StageSettings:
    required = [f.strip() for f in s.string_list("required_fields", [])]
    if not all(required):
        raise s.error("required_fields", "must not contain empty field names")
    _unique(s, "required_fields", required)
    return StageSettings(
        key=s.identifier("key"),
        name=s.string("name"),
        kind=s.choice("kind", "open", TERMINAL_STAGE_KINDS),
        required_fields=tuple(required),
        tasks=tuple(_stage_task(t) for t in s.array("tasks")),
        color=_color(s, "color"),
        on_invoice=s.boolean("on_invoice", False),
        on_payment=s.boolean("on_payment", False),
    )


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _color(s: Section, key: str) -> str | None:
    """An optional `#rrggbb` colour, kept in lowercase."""
    value = s.data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise s.error(key, f"must be a colour written as #rrggbb, like #3b82f6; got {value!r}")
    return value.lower()


def _stage_task(s: Section) -> StageTaskSettings:
    _only(s, ("title", "type", "due_in"))
    task_type = s.string("type", "call")
    if not IDENTIFIER.match(task_type):
        raise s.error("type", f"must be a task type like 'call' or 'meeting', got {task_type!r}")
    return StageTaskSettings(
        title=s.string("title").strip(), task_type=task_type, due_in=_duration(s, "due_in")
    )


def _check_pipeline_rules(s: Section, p: PipelineSettings) -> None:
    """Apply the domain's own pipeline rules (exactly one won stage, open stages first...)."""
    try:
        Pipeline(
            key=p.key,
            name=p.name,
            stages=tuple(
                Stage(
                    st.key,
                    st.name,
                    StageKind(st.kind),
                    on_invoice=st.on_invoice,
                    on_payment=st.on_payment,
                )
                for st in p.stages
            ),
            lost_reasons=p.lost_reasons,
        )
    except ValueError as err:
        raise s.error("stages", str(err)) from err


def _form(
    s: Section, queues: list[str], pipelines: list[str], env: Mapping[str, str]
) -> FormSettings:
    key = s.identifier("key")
    preset = s.optional_string("preset")
    if preset is not None and preset not in FORM_PRESETS:
        raise s.error("preset", f"must be one of {', '.join(FORM_PRESETS)}, got {preset!r}")
    return FormSettings(
        key=key,
        name=s.string("name", key),
        secret=s.optional_string("secret"),
        secret_header=s.string("secret_header", "X-Api-Key"),
        secret_field=s.string("secret_field", "api_key"),
        field_map=_field_map(s),
        honeypot_fields=tuple(
            s.string_list("honeypot_fields", ["_gotcha", "_honeypot", "hp_website"])
        ),
        consent_text_version=s.optional_string("consent_text_version"),
        redirect_url=s.optional_string("redirect_url"),
        allowed_redirect_hosts=tuple(s.string_list("allowed_redirect_hosts", [])),
        queue=_reference(s, "queue", queues),
        pipeline=_reference(s, "pipeline", pipelines),
        abuse=form_abuse(s, key, env),
        preset=preset,
    )


def _field_map(s: Section) -> dict[str, str]:
    """Submitted name → canonical name; a nested table is a dotted name of nested JSON.

    `field_map = { "answers.phone" = "phone" }` and `[forms.field_map] answers.phone = "phone"`
    (TOML's dotted key, a nested table) say the same thing.
    """
    raw = s.data.get("field_map", {})
    if not isinstance(raw, dict):
        raise s.error("field_map", "must be a table of strings")
    flat: dict[str, str] = {}
    stack: list[tuple[str, dict[str, Any]]] = [("", raw)]
    while stack:
        prefix, table = stack.pop()
        for name, value in table.items():
            path = f"{prefix}{name}"
            if isinstance(value, dict):
                stack.append((f"{path}.", value))
            elif isinstance(value, str):
                flat[path] = value
            else:
                raise s.error("field_map", f"{path!r} must map to a field name (a string)")
    return flat


def _reference(s: Section, key: str, known: list[str]) -> str | None:
    """A key naming a declared item; defaults to the first declared one."""
    value = s.optional_string(key)
    if value is None:
        return known[0] if known else None
    if value not in known:
        raise s.error(key, f"unknown {key} {value!r}")
    return value


def _unique(s: Section, key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise s.error(key, f"duplicate key {value!r}")
        seen.add(value)


def _only(s: Section, allowed: tuple[str, ...]) -> None:
    """Reject unknown keys in the newer, small tables, where a typo would silently do nothing."""
    for key in s.data:
        if key not in allowed:
            raise s.error(key, f"unknown key; expected one of {', '.join(allowed)}")


def _optional_duration(s: Section, key: str) -> timedelta | None:
    """A duration, or None when absent."""
    return None if s.data.get(key) is None else _duration(s, key)


def _duration(s: Section, key: str) -> timedelta:
    """A required duration such as "90s", "15m", "2h", "3d" or "1h30m"."""
    value = s.string(key)
    text = value.replace(" ", "").lower()
    if not _DURATION.fullmatch(text):
        raise s.error(key, f"must be a duration like '90s', '15m', '2h' or '3d', got {value!r}")
    seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(text))
    return timedelta(seconds=seconds)


def lead_settings(s: Section) -> LeadSettings:
    """`[leads]` as the config checker reads it (the stored junk reasons are checked so too)."""
    return _leads(s)


def _leads(s: Section) -> LeadSettings:
    _only(s, ("junk_reasons",))
    if "junk_reasons" not in s.data:
        return LeadSettings()
    reasons = []
    for r in s.array("junk_reasons"):
        _only(r, ("key", "name"))
        reasons.append(JunkReasonSettings(key=r.identifier("key"), name=r.string("name").strip()))
    if not reasons:
        raise s.error("junk_reasons", "needs at least one reason; leave it out for the defaults")
    _unique(s, "junk_reasons", [r.key for r in reasons])
    return LeadSettings(junk_reasons=tuple(reasons))


def _notifications(s: Section, public_url: str, env: Mapping[str, str]) -> NotificationSettings:
    token_env = _env_name(s, "telegram_bot_token_env", DEFAULT_TELEGRAM_TOKEN_ENV)
    password_env = _env_name(s, "smtp_password_env", DEFAULT_SMTP_PASSWORD_ENV)
    for secret, holder in (("telegram_bot_token", token_env), ("smtp_password", password_env)):
        if secret in s.data:
            raise s.error(
                secret, f"secrets stay out of the file: set the environment variable {holder}"
            )
    _only(s, tuple(f.name for f in fields(NotificationSettings) if f.name not in _SECRETS))
    # Links default to the HTTP public URL, which is the operator's to get right.
    if "public_url" in s.data:
        public_url = _http_url(s, "public_url", public_url)
    host = s.optional_string("smtp_host")
    sender = s.optional_string("smtp_sender")
    if host is not None and sender is None:
        raise s.error("smtp_sender", "is required when smtp_host is set")
    if sender is not None and "@" not in sender:
        raise s.error("smtp_sender", f"must be an e-mail address, got {sender!r}")
    return NotificationSettings(
        public_url=public_url,
        telegram_bot_token_env=token_env,
        telegram_bot_token=_secret(env, token_env),
        telegram_api_base=_http_url(s, "telegram_api_base", DEFAULT_TELEGRAM_API_BASE),
        smtp_host=host,
        smtp_port=s.integer("smtp_port", 25, minimum=1, maximum=65535),
        smtp_sender=sender,
        smtp_username=s.optional_string("smtp_username"),
        smtp_password_env=password_env,
        smtp_password=_secret(env, password_env),
        smtp_tls=s.choice("smtp_tls", "none", SMTP_TLS_MODES),
        dispatch_batch=s.integer("dispatch_batch", 50, minimum=1, maximum=1000),
        channel_alert_minutes=s.integer("channel_alert_minutes", 15, minimum=1, maximum=10080),
    )


def _secret(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def _env_name(s: Section, key: str, default: str) -> str:
    value = s.string(key, default)
    if not _ENV_NAME.fullmatch(value):
        raise s.error(key, f"must be an environment variable name, got {value!r}")
    return value


def _http_url(s: Section, key: str, default: str) -> str:
    value = s.string(key, default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise s.error(key, f"must start with http:// or https://, got {value!r}")
    return value


def _dedupe(section: Section) -> Thresholds:
    defaults = Thresholds()
    auto = section.number("auto_threshold", defaults.auto, minimum=0.0)
    review = section.number("review_threshold", defaults.review, minimum=0.0)
    if review > auto:
        raise section.error("review_threshold", "must not be above auto_threshold")
    return Thresholds(
        auto=auto,
        review=review,
        margin=section.number("margin", defaults.margin, minimum=0.0),
        company=section.number("company_threshold", defaults.company, minimum=0.0),
        max_review_candidates=section.integer(
            "max_review_candidates", defaults.max_review_candidates, minimum=1, maximum=20
        ),
    )
