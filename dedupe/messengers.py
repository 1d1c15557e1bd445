"""Messenger identities: which parts are keys and which are only hints.

Numeric ids (Telegram user id, VK user id) never change for an account, so they are match
keys. Usernames and screen names can be changed, released and taken by someone else, so they
are hints only: they may raise a candidate for review but never decide a duplicate alone.

Any other kind named `<something>_id` ("avito_id", "whatsapp_id") is taken as such an account
id too, with a generic normalizer, so a new channel's ids need no change here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_RAW_LENGTH = 256
# Telegram ids fit in 52 bits (their API promises at most 52 significant bits).
TELEGRAM_ID_LIMIT = 2**52
TELEGRAM_ID = re.compile(r"^(?:tg://user\?id=|id)?(?P<id>[1-9]\d{0,15})$")
TELEGRAM_LINK = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:t|telegram)\.me/|tg://resolve\?domain=|@)", re.IGNORECASE
)
TELEGRAM_USERNAME = re.compile(r"^[a-z][a-z0-9_]{4,31}$")
# Paths of t.me that are not usernames: t.me/joinchat/…, t.me/s/channel, t.me/share/url …
TELEGRAM_RESERVED = frozenset(
    {"joinchat", "addstickers", "addemoji", "addtheme", "share", "proxy", "socks", "login",
     "confirmphone", "setlanguage", "invoice", "contact", "boost", "giftcode"}
)  # fmt: skip

VK_PREFIX = re.compile(r"^(?:https?://)?(?:www\.|m\.)?(?:vk\.com|vk\.ru|vkontakte\.ru)/", re.I)
VK_ID = re.compile(r"^id(?P<id>[1-9]\d{0,11})$")
# The mention markup of a VK message: [id123|Иван] (a community is [club123|…]).
VK_MENTION = re.compile(r"^\[(?P<target>[a-z0-9_.]+)\|[^\]]*\]$")
VK_SCREEN_NAME = re.compile(r"^[a-z][a-z0-9_.]{1,31}$")
# Numbered forms that are communities or events rather than a person's screen name.
VK_NUMBERED = re.compile(r"^(?:id|club|public|event|app|wall|photo|video)-?\d+(?:_\d+)?$")
PATH_END = re.compile(r"[/?#]")
VK_RESERVED = frozenset(
    {"feed", "im", "friends", "groups", "music", "audio", "video", "videos", "photos",
     "settings", "search", "apps", "games", "login", "join", "restore", "away", "write",
     "docs", "market", "services", "support", "faq", "about", "blog", "dev", "clips",
     "mail", "albums", "bookmarks", "fave", "notifications", "share", "wall", "id"}
)  # fmt: skip


def _clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()[:MAX_RAW_LENGTH]
    return text or None


def _path_head(text: str) -> str:
    """First path segment of what follows a link prefix: "durov?w=wall1_2" → "durov"."""
    return PATH_END.split(text, maxsplit=1)[0]


def telegram_id(raw: str | None) -> str | None:
    """A Telegram user's numeric id ("123456789", "tg://user?id=…") as a string; a key."""
    text = _clean(raw)
    if text is None:
        return None
    match = TELEGRAM_ID.match(text.lower())
    if match is None or int(match.group("id")) >= TELEGRAM_ID_LIMIT:
        return None
    return match.group("id")


def telegram_username(raw: str | None) -> str | None:
    """A Telegram username without @ or t.me/, lowercased; a hint only (it can change)."""
    text = _clean(raw)
    if text is None:
        return None
    name = _path_head(TELEGRAM_LINK.sub("", text, count=1)).lower()
    if name in TELEGRAM_RESERVED or not TELEGRAM_USERNAME.match(name):
        return None
    return name


def _vk_target(raw: str | None) -> str | None:
    text = _clean(raw)
    if text is None:
        return None
    text = text.lower()
    mention = VK_MENTION.match(text)
    if mention:
        return mention.group("target")
    return _path_head(VK_PREFIX.sub("", text, count=1)).removeprefix("@")


def vk_id(raw: str | None) -> str | None:
    """A VK user's numeric id from "123", "id123", "vk.com/id123" or "[id123|…]"; a key."""
    target = _vk_target(raw)
    if target is None:
        return None
    if target.isascii() and target.isdigit() and not target.startswith("0"):
        return target if len(target) <= 12 else None
    match = VK_ID.match(target)
    return match.group("id") if match else None


def vk_screen_name(raw: str | None) -> str | None:
    """A VK screen name such as "durov" from "vk.com/durov"; a hint only (it can change)."""
    target = _vk_target(raw)
    if (
        target is None
        or target in VK_RESERVED
        or VK_NUMBERED.match(target)
        or not VK_SCREEN_NAME.match(target)
    ):
        return None
    return target


TELEGRAM_ID_KIND = "telegram_id"
TELEGRAM_USERNAME_KIND = "telegram_username"
VK_ID_KIND = "vk_id"
# A web form's "vk" field holds whatever the person typed: a link, "id123" or a number.
KIND_ALIASES = {"vk": VK_ID_KIND}
GENERIC_KIND = re.compile(r"^[a-z][a-z0-9_]{0,28}_id$")
# Longer than any account id we know of; a longer value is not an id, so it is dropped rather
# than cut (a cut id could match another account).
GENERIC_MAX_LENGTH = 128


@dataclass(frozen=True, slots=True)
class MessengerKind:
    """How one kind of messenger identity is normalized and whether it is a match key."""

    normalize: Callable[[str | None], str | None]
    is_key: bool


def generic_id(raw: str | None) -> str | None:
    """An account id of a messenger we have no special rules for: trimmed, one word, capped."""
    if raw is None:
        return None
    text = raw.strip()
    if not text or len(text) > GENERIC_MAX_LENGTH or any(ch.isspace() for ch in text):
        return None
    return text


KNOWN_KINDS: dict[str, MessengerKind] = {
    TELEGRAM_ID_KIND: MessengerKind(telegram_id, is_key=True),
    TELEGRAM_USERNAME_KIND: MessengerKind(telegram_username, is_key=False),
    VK_ID_KIND: MessengerKind(vk_id, is_key=True),
}
GENERIC_KIND_RULES = MessengerKind(generic_id, is_key=True)


def messenger_kind(kind: str) -> tuple[str, MessengerKind] | None:
    """The canonical name and rules of a messenger kind; None for kinds that are no identity."""
    name = KIND_ALIASES.get(kind, kind)
    known = KNOWN_KINDS.get(name)
    if known is not None:
        return name, known
    if GENERIC_KIND.match(name):
        return name, GENERIC_KIND_RULES
    return None


def normalize_messenger(kind: str, raw: str | None) -> tuple[str, str] | None:
    """(canonical kind, normalized value) of one messenger identity, or None if unusable."""
    if not raw:
        return None
    found = messenger_kind(kind)
    if found is None:
        return None
    name, rules = found
    value = rules.normalize(raw)
    return (name, value) if value else None


def is_key_kind(kind: str) -> bool:
    """True when ids of this kind never move to another person (a match key, not a hint)."""
    found = messenger_kind(kind)
    return found is not None and found[1].is_key
