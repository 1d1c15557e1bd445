"""`[[email.mailboxes]]`: IMAP mailboxes; passwords from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.settings_support import require_unique, secret_from_env
from channels.spec import ConfigTable

EMAIL_SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True, slots=True)
class EmailMailboxSettings:
    """An IMAP mailbox whose folder is fetched into leads; `name` is the leads' `source`."""

    name: str
    host: str
    login: str
    password: str | None = field(default=None, repr=False)
    # "tls": TLS from the first byte (993); "starttls": plain, then STARTTLS (143); "none":
    # plain text, for a server on the same host or a test server only.
    security: str = "tls"
    port: int = 993
    folder: str = "INBOX"
    # Set \Seen on a message once its lead is stored, so people sharing the mailbox see it
    # was taken; false leaves the flags as they are.
    mark_seen: bool = True
    # Seconds between checks when the server has no IDLE (or `idle` is off).
    poll_seconds: float = 60.0
    idle: bool = True
    queue: str | None = None
    pipeline: str | None = None


def email_mailboxes(root: ConfigTable, env: Mapping[str, str]) -> tuple[EmailMailboxSettings, ...]:
    """`[[email.mailboxes]]`: name, host, port, security, login, password_env, folder, ..."""
    mailboxes = []
    for s in root.table("email").array("mailboxes"):
        name = s.identifier("name")
        security = s.choice("security", "tls", EMAIL_SECURITY)
        env_name = f"LEADINTAKE_EMAIL_{name.upper().replace('-', '_')}_PASSWORD"
        password = secret_from_env(s, env, "password_env", env_name)
        if not password:
            raise s.error(
                "password_env",
                f"the mailbox password must be set in ${s.string('password_env', env_name)}",
            )
        mailboxes.append(
            EmailMailboxSettings(
                name=name,
                host=s.string("host"),
                login=s.string("login"),
                password=password,
                security=security,
                port=s.integer(
                    "port", 993 if security == "tls" else 143, minimum=1, maximum=65535
                ),
                folder=s.string("folder", "INBOX"),
                mark_seen=s.boolean("mark_seen", True),
                poll_seconds=s.number("poll_seconds", 60.0, minimum=1.0),
                idle=s.boolean("idle", True),
                queue=s.optional_string("queue"),
                pipeline=s.optional_string("pipeline"),
            )
        )
    require_unique(root, "email.mailboxes", [m.name for m in mailboxes])
    return tuple(mailboxes)
