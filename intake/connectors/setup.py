"""A head's CRM connectors: checked here once for the API, stored as webhook subscriptions."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from config import Settings
from crm_core.model import LeadStatus
from crm_core.storage import Storage
from crm_core.webhooks import ConnectorHealth, EventType, NewConnector, Subscription
from intake.clock import utcnow
from intake.webhooks.targets import TargetRefused, check_url

KINDS = ("bitrix24", "amocrm")
# A connector follows every lead and deal event (what it does with each is its own business).
CONNECTOR_EVENTS = (
    EventType.LEAD_CREATED,
    EventType.LEAD_ASSIGNED,
    EventType.LEAD_TAKEN,
    EventType.LEAD_JUNKED,
    EventType.LEAD_CONVERTED,
    EventType.DEAL_STAGE_CHANGED,
    EventType.DEAL_WON,
    EventType.DEAL_LOST,
)
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,99}")
# `https://<portal>/rest/<user>/`: the code after it is the secret, kept in the environment.
BITRIX24_PATH = re.compile(r"/rest/\d+/?")
MAPPING_TABLES = ("users", "statuses", "pipelines", "stages")
MAPPING_TEXTS = ("source_id", "source_name", "form_page")
MAPPING_FLAGS = ("create_deals",)
MAX_TEXT = 200
STATUSES = tuple(s.value for s in LeadStatus)


class ConnectorInvalid(Exception):
    """A value of a connector is not allowed; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_connector(body: Mapping[str, Any], settings: Settings) -> NewConnector:
    """The connector a body asks for, or ConnectorInvalid naming the field."""
    kind = body.get("kind")
    if not isinstance(kind, str) or kind.strip() not in KINDS:
        raise ConnectorInvalid("kind", "must be one of: " + ", ".join(KINDS))
    kind = kind.strip()
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConnectorInvalid("url", "required, an http(s) URL")
    try:
        url = check_url(url, allow_private=settings.webhooks.allow_private_targets)
    except TargetRefused as err:
        raise ConnectorInvalid("url", str(err)) from err
    path = urlsplit(url).path
    if kind == "bitrix24" and not BITRIX24_PATH.fullmatch(path):
        raise ConnectorInvalid(
            "url", "must be the webhook's address up to the user: https://<portal>/rest/<user>/"
        )
    if kind == "amocrm" and path not in ("", "/"):
        raise ConnectorInvalid("url", "must be the account's address: https://<name>.amocrm.ru")
    secret_env = body.get("secret_env")
    if not isinstance(secret_env, str) or not ENV_NAME.fullmatch(secret_env.strip()):
        raise ConnectorInvalid(
            "secret_env", "required, the name of an environment variable (A-Z, 0-9, _)"
        )
    secret_env = secret_env.strip()
    if not settings.environ.get(secret_env, "").strip():
        raise ConnectorInvalid("secret_env", f"the environment variable {secret_env} is not set")
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise ConnectorInvalid("active", "must be true or false")
    mapping = _mapping(body.get("mapping"), settings)
    return NewConnector(kind, url, secret_env, CONNECTOR_EVENTS, mapping, active)


def _mapping(raw: object, settings: Settings) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConnectorInvalid("mapping", "must be an object")
    known = (*MAPPING_TABLES, *MAPPING_TEXTS, *MAPPING_FLAGS)
    mapping: dict[str, Any] = {}
    for key, value in raw.items():
        field = f"mapping.{key}"
        if key not in known:
            raise ConnectorInvalid(field, "unknown; known: " + ", ".join(known))
        if key in MAPPING_FLAGS:
            if not isinstance(value, bool):
                raise ConnectorInvalid(field, "must be true or false")
            mapping[key] = value
        elif key in MAPPING_TEXTS:
            if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_TEXT:
                raise ConnectorInvalid(field, f"must be a text of 1 to {MAX_TEXT} characters")
            mapping[key] = value.strip()
        else:
            mapping[key] = _table(key, value, settings)
    return mapping


def _table(key: str, value: object, settings: Settings) -> dict[str, str | int]:
    """Our values (manager logins, lead statuses, pipeline keys, stages) -> the remote ids."""
    field = f"mapping.{key}"
    if not isinstance(value, dict):
        raise ConnectorInvalid(field, "must be an object")
    ours: set[str] | None = None
    if key == "users":
        ours = {m.login for m in settings.managers}
    elif key == "statuses":
        ours = set(STATUSES)
    elif key == "pipelines":
        ours = {p.key for p in settings.pipelines} | {q.key for q in settings.queues}
    table: dict[str, str | int] = {}
    for ours_key, theirs in value.items():
        if ours is not None and ours_key not in ours:
            raise ConnectorInvalid(
                f"{field}.{ours_key}", "not ours; known: " + ", ".join(sorted(ours))
            )
        valid_int = isinstance(theirs, int) and not isinstance(theirs, bool) and theirs > 0
        valid_text = isinstance(theirs, str) and 0 < len(theirs.strip()) <= MAX_TEXT
        if not (valid_int or valid_text):
            raise ConnectorInvalid(
                f"{field}.{ours_key}", "must be the remote id: a positive integer or a text"
            )
        table[ours_key] = theirs.strip() if isinstance(theirs, str) else theirs
    return table


async def create_connector(storage: Storage, new: NewConnector, actor: str) -> Subscription:
    """Store a connector; it receives the events committed from now on."""
    async with storage.transaction() as uow:
        return await uow.webhooks.add_connector(new, actor, utcnow())


async def update_connector(
    storage: Storage, connector_id: int, new: NewConnector
) -> Subscription | None:
    """Replace a connector's address, secret variable, mapping and state (its kind stays)."""
    async with storage.transaction() as uow:
        return await uow.webhooks.update_connector(connector_id, new, utcnow())


async def set_connector_active(
    storage: Storage, connector_id: int, active: bool
) -> Subscription | None:
    """Enable or disable a connector, keeping its address, secret variable and mapping."""
    current = await get_connector(storage, connector_id)
    if current is None:
        return None
    return await update_connector(storage, connector_id, as_new(current, active=active))


def as_new(connector: Subscription, *, active: bool) -> NewConnector:
    """A stored connector as the settings to store again, with `active` as given."""
    config: Mapping[str, Any] = connector.connector_config or {}
    return NewConnector(
        str(connector.connector),
        connector.url,
        str(config.get("secret_env", "")),
        connector.events,
        dict(config.get("mapping") or {}),
        active,
    )


async def delete_connector(storage: Storage, connector_id: int) -> bool:
    """Remove a connector with its delivery log and remote ids."""
    async with storage.transaction() as uow:
        found = await uow.webhooks.subscription(connector_id)
        if found is None or found.connector is None:
            return False
        return await uow.webhooks.delete_subscription(connector_id)


async def connectors(storage: Storage) -> list[Subscription]:
    """Every connector, oldest first."""
    async with storage.reader() as uow:
        return [s for s in await uow.webhooks.subscriptions() if s.connector is not None]


async def get_connector(storage: Storage, connector_id: int) -> Subscription | None:
    """One connector."""
    async with storage.reader() as uow:
        found = await uow.webhooks.subscription(connector_id)
    return found if found is not None and found.connector is not None else None


async def health(storage: Storage) -> list[ConnectorHealth]:
    """Every connector's last success and failure and its waiting and dead deliveries."""
    async with storage.reader() as uow:
        return await uow.webhooks.connector_health()


def test_lead_data() -> dict[str, Any]:
    """What a test lead carries: an id no lead of ours has (negative), a clear name."""
    now = utcnow().isoformat()
    return {
        "lead_id": -int(time.time() * 1000),
        "status": LeadStatus.NEW.value,
        "channel": "test",
        "source": "test",
        "name": "Тестовая заявка LeadIntake",
        "phone": None,
        "email": None,
        "comment": "Проверка подключения, можно удалить",
        "utm": {},
        "received_at": now,
        "created_at": now,
    }


def connector_json(connector: Subscription) -> dict[str, Any]:
    """A connector as the API shows it (the secret's variable name, never the secret)."""
    config: Mapping[str, Any] = connector.connector_config or {}
    return {
        "id": connector.id,
        "kind": connector.connector,
        "url": connector.url,
        "secret_env": config.get("secret_env"),
        "mapping": config.get("mapping") or {},
        "active": connector.active,
        "disabled_reason": connector.disabled_reason,
        "created_by": connector.created_by,
        "created_at": connector.created_at.isoformat(),
        "updated_at": connector.updated_at.isoformat(),
    }


def health_json(found: ConnectorHealth, *, details: bool) -> dict[str, Any]:
    """A connector's health as /readyz shows it (the error text only with `details`)."""
    if not found.active:
        state = "disabled"
    elif found.last_failure_at is not None and (
        found.last_success_at is None or found.last_failure_at > found.last_success_at
    ):
        state = "failing"
    elif found.last_success_at is None:
        state = "idle"
    else:
        state = "ok"
    body: dict[str, Any] = {
        "state": state,
        "kind": found.kind,
        "last_success_at": _stamp(found.last_success_at),
        "last_failure_at": _stamp(found.last_failure_at),
        "pending": found.pending,
        "dead_letters": found.dead,
    }
    if details:
        body["last_error"] = found.last_error
    return body


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
