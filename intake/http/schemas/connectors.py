"""CRM connector bodies: a connector's settings and mapping, and a test lead's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from intake.http.schemas.base import AnyMap, Body, Flag, NonBlank, Shape

MAPPING_HELP = (
    "Our values to the remote CRM's ids: `users` {login: id}, `statuses` {new|in_work|junk|"
    "converted: status id}, `pipelines` {our pipeline or queue: pipeline id}, `stages` "
    "{stage or pipeline:stage: stage id}; `source_id` (Bitrix24 SOURCE_ID), `source_name`, "
    "`form_page` (amoCRM), `create_deals` (Bitrix24: our conversion creates a contact and deal)"
)


class NewConnector(Body):
    """POST/PUT: which CRM, where, whose secret, and how our values map to its ids."""

    kind: NonBlank = Field(description="bitrix24 or amocrm (cannot change later)")
    url: NonBlank = Field(
        description="Bitrix24: https://<portal>/rest/<user>/ (the code is the secret); "
        "amoCRM: https://<name>.amocrm.ru"
    )
    secret_env: NonBlank = Field(
        description="The environment variable holding the webhook code or long-lived token"
    )
    mapping: AnyMap | None = Field(None, description=MAPPING_HELP)
    active: Flag | None = Field(None, description="false: keep the connector, send nothing")


class Connector(Shape):
    """A connector (the secret's variable name, never the secret)."""

    id: int
    kind: str
    url: str
    secret_env: str | None
    mapping: dict[str, Any]
    active: bool
    disabled_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ConnectorPage(Shape):
    """Every connector, oldest first."""

    items: list[Connector]


class TestLead(Shape):
    """The test lead the remote CRM created."""

    remote_id: str = Field(description="Its id in the remote CRM")
    kind: str
