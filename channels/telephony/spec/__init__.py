"""Telephony's manifest: `[telephony]` (cloud PBX webhooks) and `[[telephony.asterisk]]`
(AMI clients); calls carry phone numbers, no messenger identity."""

from __future__ import annotations

from channels.spec import ChannelSpec, PollerGroup, Route, SettingsSection, ShellRef
from channels.telephony.asterisk.settings import asterisk_pbxes
from channels.telephony.settings import telephony_section

HOOKS = "intake.http.telephony_hooks"

SPEC = ChannelSpec(
    name="telephony",
    settings=(
        SettingsSection(
            "telephony",
            telephony_section,
            needs_context=True,
        ),
        SettingsSection("asterisk", asterisk_pbxes),
    ),
    routes=(
        Route("POST", "/hooks/telephony/mango/events/{kind}", ShellRef(f"{HOOKS}:post_mango")),
        Route("GET", "/hooks/telephony/zadarma", ShellRef(f"{HOOKS}:echo_zadarma")),
        Route("POST", "/hooks/telephony/zadarma", ShellRef(f"{HOOKS}:post_zadarma")),
        Route("GET", "/hooks/telephony/novofon", ShellRef(f"{HOOKS}:echo_novofon")),
        Route("POST", "/hooks/telephony/novofon", ShellRef(f"{HOOKS}:post_novofon")),
        Route("POST", "/hooks/telephony/generic/{source}", ShellRef(f"{HOOKS}:post_generic")),
    ),
    pollers=(
        PollerGroup("asterisk", ShellRef("intake.asterisk_client:running_asterisk_clients")),
    ),
    openapi=(ShellRef("intake.http.openapi_telephony:TELEPHONY_OPERATIONS"),),
)
