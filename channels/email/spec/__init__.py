"""E-mail's manifest: `[[email.mailboxes]]`, their IMAP pollers and SMTP replies (no route)."""

from __future__ import annotations

from channels.email.const import CHANNEL
from channels.email.sender import build_sender, unavailable
from channels.email.settings import email_mailboxes
from channels.sending import SenderSpec
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
    sender=SenderSpec("email_mailboxes", build_sender, unavailable),
)
