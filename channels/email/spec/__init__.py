"""E-mail's manifest: `[[email.mailboxes]]` and their IMAP pollers (no HTTP route)."""

from __future__ import annotations

from channels.email.const import CHANNEL
from channels.email.settings import email_mailboxes
from channels.spec import ChannelSpec, PollerGroup, SettingsSection, ShellRef

SPEC = ChannelSpec(
    name=CHANNEL,
    settings=(
        SettingsSection(
            "email_mailboxes",
            email_mailboxes,
            routed=True,
            where="email.mailboxes",
        ),
    ),
    pollers=(PollerGroup(CHANNEL, ShellRef("intake.email_polling:running_email_pollers")),),
)
