"""`[[vk.groups]]`: VK communities; secret keys and access tokens from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.settings_support import require_unique, secret_from_env
from channels.spec import ConfigTable


@dataclass(frozen=True, slots=True)
class VkGroupSettings:
    """A VK community: `POST /hooks/vk/{group_id}` receives its Callback API events."""

    group_id: int
    confirmation: str
    secret: str | None = field(default=None, repr=False)
    queue: str | None = None
    pipeline: str | None = None
    # "callback": VK posts events to us; "longpoll": we ask the Bots Long Poll server
    # (no public URL needed). Long polling needs the community's access token.
    mode: str = "callback"
    access_token: str | None = field(default=None, repr=False)
    api_base: str = "https://api.vk.com/method"
    # Where the secrets come from (shown on the channels page instead of the secrets).
    secret_env: str = ""
    token_env: str = ""

    @property
    def name(self) -> str:
        """The community as its leads' `source` names it."""
        return str(self.group_id)


def vk_groups(root: ConfigTable, env: Mapping[str, str]) -> tuple[VkGroupSettings, ...]:
    """`[[vk.groups]]`: group_id, confirmation, secret_env, queue, pipeline, mode, token_env."""
    groups = []
    for s in root.table("vk").array("groups"):
        if s.data.get("group_id") is None:
            raise s.error("group_id", "required: the community's numeric id")
        group_id = s.integer("group_id", 0, minimum=1)
        mode = s.choice("mode", "callback", ("callback", "longpoll"))
        groups.append(
            VkGroupSettings(
                group_id=group_id,
                # Long Poll has no handshake: the confirmation string is only for callbacks.
                confirmation=s.optional_string("confirmation") or ""
                if mode == "longpoll"
                else s.string("confirmation"),
                secret=secret_from_env(s, env, "secret_env", f"LEADINTAKE_VK_{group_id}_SECRET"),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
                mode=mode,
                access_token=secret_from_env(
                    s, env, "token_env", f"LEADINTAKE_VK_{group_id}_TOKEN"
                ),
                api_base=s.string("api_base", "https://api.vk.com/method").rstrip("/"),
                secret_env=s.string("secret_env", f"LEADINTAKE_VK_{group_id}_SECRET"),
                token_env=s.string("token_env", f"LEADINTAKE_VK_{group_id}_TOKEN"),
            )
        )
        if mode == "longpoll" and not groups[-1].access_token:
            raise s.error("mode", "longpoll needs the community's access token in the environment")
    require_unique(root, "vk.groups", [str(g.group_id) for g in groups])
    return tuple(groups)
