"""Settings loaded once into frozen dataclasses; the only module that reads the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.reader import ConfigError, Section
from dedupe.decision import Thresholds

DEFAULT_CONFIG_PATH = Path("config/default.toml")
PACKAGED_DEFAULT = Path(__file__).with_name("default.toml")
ROLES = ("manager", "head")
TERMINAL_STAGE_KINDS = ("open", "won", "lost")


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Where the HTTP server listens and how much it accepts."""

    host: str
    port: int
    max_body_bytes: int
    public_url: str


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


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """A lead flow: the managers who receive leads from the forms and channels feeding it."""

    key: str
    name: str
    managers: tuple[str, ...]
    fallback: str | None


@dataclass(frozen=True, slots=True)
class StageSettings:
    """One stage of a deal pipeline."""

    key: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """A deal pipeline (sales direction) with ordered stages."""

    key: str
    name: str
    stage_order: str
    stages: tuple[StageSettings, ...]


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

    def form(self, key: str) -> FormSettings | None:
        """The form with this key, if configured."""
        return next((f for f in self.forms if f.key == key), None)


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
    return _build(Section(str(config_path), "", raw))


def _default_path() -> Path:
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else PACKAGED_DEFAULT


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "LEADINTAKE_DATABASE_URL": ("database", "url"),
    "LEADINTAKE_HTTP_HOST": ("http", "host"),
    "LEADINTAKE_HTTP_PORT": ("http", "port"),
    "LEADINTAKE_PUBLIC_URL": ("http", "public_url"),
    "LEADINTAKE_LOG_LEVEL": ("logging", "level"),
}


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for var, (table, key) in ENV_OVERRIDES.items():
        if var in env:
            value: Any = env[var]
            if key == "port":
                value = _env_int(var, value)
            raw.setdefault(table, {})[key] = value


def _env_int(var: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as err:
        raise ConfigError(f"environment {var}: must be an integer, got {value!r}") from err


def _build(root: Section) -> Settings:
    http = root.table("http")
    db = root.table("database")
    intake = root.table("intake")
    managers = tuple(_manager(s) for s in root.array("managers"))
    _unique(root, "managers", [m.login for m in managers])
    logins = {m.login for m in managers}
    queues = tuple(_queue(s, logins) for s in root.array("queues"))
    _unique(root, "queues", [q.key for q in queues])
    pipelines = tuple(_pipeline(s) for s in root.array("pipelines"))
    _unique(root, "pipelines", [p.key for p in pipelines])
    forms = tuple(
        _form(s, [q.key for q in queues], [p.key for p in pipelines]) for s in root.array("forms")
    )
    _unique(root, "forms", [f.key for f in forms])
    port = http.integer("port", 8080, minimum=1, maximum=65535)
    host = http.string("host", "127.0.0.1")
    return Settings(
        source=root.source,
        http=HttpSettings(
            host=host,
            port=port,
            max_body_bytes=http.integer("max_body_bytes", 64 * 1024, minimum=1024),
            public_url=http.string("public_url", f"http://{host}:{port}").rstrip("/"),
        ),
        database=_database(db),
        intake=IntakeSettings(
            default_region=intake.string("default_region", "RU").upper(),
            worker_batch=intake.integer("worker_batch", 50, minimum=1, maximum=1000),
            worker_poll_seconds=intake.number("worker_poll_seconds", 0.5, minimum=0.01),
            worker_coalesce_ms=intake.integer("worker_coalesce_ms", 20, minimum=0, maximum=500),
            max_attempts=intake.integer("max_attempts", 5, minimum=1),
            max_commit_batch=intake.integer("max_commit_batch", 256, minimum=1, maximum=5000),
        ),
        log_level=root.table("logging").choice(
            "level", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
        ),
        managers=managers,
        queues=queues,
        pipelines=pipelines,
        forms=forms,
        dedupe=_dedupe(root.table("dedupe")),
    )


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
    )


def _queue(s: Section, logins: set[str]) -> QueueSettings:
    managers = s.string_list("managers", [])
    for login in managers:
        if login not in logins:
            raise s.error("managers", f"unknown manager {login!r}")
    fallback = s.optional_string("fallback")
    if fallback is not None and fallback not in logins:
        raise s.error("fallback", f"unknown manager {fallback!r}")
    return QueueSettings(
        key=s.identifier("key"), name=s.string("name"), managers=tuple(managers), fallback=fallback
    )


def _pipeline(s: Section) -> PipelineSettings:
    stages = tuple(
        StageSettings(
            key=st.identifier("key"),
            name=st.string("name"),
            kind=st.choice("kind", "open", TERMINAL_STAGE_KINDS),
        )
        for st in s.array("stages")
    )
    if not stages:
        raise s.error("stages", "a pipeline needs at least one stage")
    kinds = [st.kind for st in stages]
    if "won" not in kinds or "lost" not in kinds:
        raise s.error("stages", "a pipeline needs one stage of kind 'won' and one of kind 'lost'")
    _unique(s, "stages", [st.key for st in stages])
    return PipelineSettings(
        key=s.identifier("key"),
        name=s.string("name"),
        stage_order=s.choice("stage_order", "free", ("strict", "semi_strict", "free")),
        stages=stages,
    )


def _form(s: Section, queues: list[str], pipelines: list[str]) -> FormSettings:
    key = s.identifier("key")
    return FormSettings(
        key=key,
        name=s.string("name", key),
        secret=s.optional_string("secret"),
        secret_header=s.string("secret_header", "X-Api-Key"),
        secret_field=s.string("secret_field", "api_key"),
        field_map=s.string_map("field_map"),
        honeypot_fields=tuple(
            s.string_list("honeypot_fields", ["_gotcha", "_honeypot", "hp_website"])
        ),
        consent_text_version=s.optional_string("consent_text_version"),
        redirect_url=s.optional_string("redirect_url"),
        allowed_redirect_hosts=tuple(s.string_list("allowed_redirect_hosts", [])),
        queue=_reference(s, "queue", queues),
        pipeline=_reference(s, "pipeline", pipelines),
    )


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
