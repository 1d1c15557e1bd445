"""E-mail's manifest: `[[email.mailboxes]]` and their IMAP pollers (no HTTP route)."""

from __future__ import annotations

from channels.email.const import CHANNEL
from channels.spec import ChannelSpec, PollerGroup, SettingsSection, ShellRef

SPEC = ChannelSpec(
    name=CHANNEL,
    settings=(
        SettingsSection(
            "email_mailboxes",
            ShellRef("config.channel_settings:email_mailboxes"),
            routed=True,
            where="email.mailboxes",
        ),
    ),
    pollers=(PollerGroup(CHANNEL, ShellRef("intake.email_polling:running_email_pollers")),),
)
