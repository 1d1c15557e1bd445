"""`[[email.mailboxes]]`: IMAP mailboxes and the SMTP server replies leave by; passwords
from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from channels.settings_support import require_unique, secret_from_env
from channels.spec import ConfigTable

EMAIL_SECURITY = ("tls", "starttls", "none")
# The SMTP port each security mode conventionally listens on (submission).
SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


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
    # Replies to clients: From is `address` (default: the login when it is an address); they
    # leave through `smtp_host`. No `smtp_host`: the mailbox takes mail in but cannot answer.
    address: str | None = None
    smtp_host: str | None = None
    smtp_security: str = "starttls"
    smtp_port: int = 587
    # Empty: the server takes mail without AUTH (a relay on the same host, a test server).
    smtp_login: str = ""
    smtp_password: str | None = field(default=None, repr=False)
    # A copy of each reply is filed here by IMAP APPEND (created when missing), so the mailbox
    # shows what was answered; None: no copy (a provider whose SMTP files one itself).
    sent_folder: str | None = None

    @property
    def can_reply(self) -> bool:
        """True when replies can be sent from this mailbox (an SMTP server and a From)."""
        return bool(self.smtp_host and self.address)


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
                **_smtp(s, env, name, password),
            )
        )
    require_unique(root, "email.mailboxes", [m.name for m in mailboxes])
    return tuple(mailboxes)


def _smtp(s: ConfigTable, env: Mapping[str, str], name: str, imap_password: str) -> dict[str, Any]:
    """The reply settings: address, smtp_host, smtp_port, smtp_security, smtp_login,
    smtp_password_env (default: the IMAP password, as most providers use one for both) and
    sent_folder."""
    login = s.string("login")
    address = s.optional_string("address") or (login if "@" in login else None)
    if address is not None and ("@" not in address or any(c.isspace() for c in address)):
        raise s.error("address", "must be an e-mail address, like sales@example.ru")
    host = s.optional_string("smtp_host")
    security = s.choice("smtp_security", "starttls", EMAIL_SECURITY)
    if host is not None and address is None:
        raise s.error("address", "replies need the mailbox's address: set `address`")
    smtp_login = (s.optional_string("smtp_login") or "") if "smtp_login" in s.data else login
    env_name = f"LEADINTAKE_EMAIL_{name.upper().replace('-', '_')}_SMTP_PASSWORD"
    if s.data.get("smtp_password") is not None:
        raise s.error(
            "smtp_password", "secrets are not written in the file: set smtp_password_env"
        )
    password = secret_from_env(s, env, "smtp_password_env", env_name)
    if password is None and "smtp_password_env" in s.data:
        raise s.error(
            "smtp_password_env",
            f"the SMTP password must be set in ${s.string('smtp_password_env')}",
        )
    return {
        "address": address,
        "smtp_host": host,
        "smtp_security": security,
        "smtp_port": s.integer("smtp_port", SMTP_PORTS[security], minimum=1, maximum=65535),
        "smtp_login": smtp_login,
        "smtp_password": password if password is not None else imap_password,
        "sent_folder": s.optional_string("sent_folder"),
    }
