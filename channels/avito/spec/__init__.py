"""Avito Messenger's manifest: `[[avito.accounts]]`, the webhook route, the identity kind.

```toml
[[avito.accounts]]
name = "shop"            # identifier: the URL, the leads' source, /metrics
user_id = 123456789      # the account's Avito user id (the webhook's payload.value.user_id)
# webhook_secret_env = "LEADINTAKE_AVITO_SHOP_SECRET"   (the default; never in the file)
queue = "sales"          # optional
pipeline = "main"        # optional
```
Subscribe `POST /hooks/avito/shop?token=<the secret>` with Avito's webhook API.
"""

from __future__ import annotations

from collections.abc import Mapping

from channels.avito.adapter import AvitoAccount, receive
from channels.avito.const import ACCOUNT_PARAM, CHANNEL, IDENTITY_KIND, TOKEN_PARAM
from channels.settings_support import require_unique, secret_from_env
from channels.spec import ChannelSpec, ConfigTable, Route, SettingsSection
from channels.webhook import Webhook, WebhookDoc

SETTINGS = "avito_accounts"


def avito_accounts(root: ConfigTable, env: Mapping[str, str]) -> tuple[AvitoAccount, ...]:
    """`[[avito.accounts]]`: name, user_id, webhook_secret_env, queue, pipeline."""
    accounts: list[AvitoAccount] = []
    for s in root.table(CHANNEL).array("accounts"):
        name = s.identifier("name")
        if s.data.get("user_id") is None:
            raise s.error("user_id", "required: the account's Avito user id")
        env_name = f"LEADINTAKE_AVITO_{name.upper().replace('-', '_')}_SECRET"
        secret = secret_from_env(s, env, "webhook_secret_env", env_name)
        if not secret:
            where = s.string("webhook_secret_env", env_name)
            raise s.error("webhook_secret_env", f"the webhook secret must be set in ${where}")
        accounts.append(
            AvitoAccount(
                name=name,
                user_id=s.integer("user_id", 0, minimum=1),
                webhook_secret=secret,
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
            )
        )
    require_unique(root, "avito.accounts", [a.name for a in accounts])
    return tuple(accounts)


WEBHOOK = Webhook(
    channel=CHANNEL,
    settings_attribute=SETTINGS,
    receive=receive,
    doc=WebhookDoc(
        operation_id="avitoWebhook",
        summary="Avito Messenger webhook v3 event (the token parameter checked)",
        request_description="An Avito Messenger webhook v3 event",
        path_params={ACCOUNT_PARAM: "The account's name from the configuration"},
        query_params={TOKEN_PARAM: "The account's webhook secret"},
        errors={
            400: "Malformed body or a missing field; the error names it",
            403: "Missing or wrong token",
            404: "Unknown account",
        },
    ),
    auth_field=TOKEN_PARAM,
)

SPEC = ChannelSpec(
    name=CHANNEL,
    settings=(SettingsSection(SETTINGS, avito_accounts, routed=True, where="avito.accounts"),),
    routes=(Route("POST", f"/hooks/avito/{{{ACCOUNT_PARAM}}}", WEBHOOK),),
    identity_kinds=(IDENTITY_KIND,),
)
