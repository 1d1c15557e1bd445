"""VK's manifest: `[[vk.groups]]`, the Callback API route, the Long Poll pollers, `vk_id`."""

from __future__ import annotations

from channels.sending import SenderSpec
from channels.spec import ChannelSpec, PollerGroup, Route, SettingsSection, ShellRef
from channels.vk.const import CHANNEL
from channels.vk.sender import build_sender, explain
from channels.vk.settings import vk_groups

SPEC = ChannelSpec(
    name=CHANNEL,
    settings=(
        SettingsSection(
            "vk_groups",
            vk_groups,
            routed=True,
            where="vk.groups",
        ),
    ),
    routes=(Route("POST", "/hooks/vk/{group_id}", ShellRef("intake.http.vk_hook:post_update")),),
    pollers=(PollerGroup(CHANNEL, ShellRef("intake.vk_polling:running_vk_pollers")),),
    openapi=(ShellRef("intake.http.openapi_sales:VK_OPERATIONS"),),
    identity_kinds=("vk_id",),
    sender=SenderSpec("vk_groups", build_sender, explain=explain),
)
