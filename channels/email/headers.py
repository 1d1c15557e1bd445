"""Header values decoded from raw bytes: encoded words, 8-bit charsets, addresses, ids, dates."""

from __future__ import annotations

import base64
import binascii
import codecs
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime


def strip_leading_junk(raw: bytes) -> bytes:
    """Drop whitespace-only lines before the first header (seen in fixtures and exports)."""
    return re.sub(rb"\A(?:[ \t]*\r?\n)+", b"", raw)


def raw_headers(msg: Message) -> dict[str, list[bytes]]:
    """Header name (lower-case) → raw values as bytes, unfolded, in order of appearance."""
    out: dict[str, list[bytes]] = {}
    for name, value in msg.raw_items():
        data = str(value).encode("utf-8", "surrogateescape")
        data = re.sub(rb"\r?\n(?=[ \t])", b"", data).replace(b"\r", b"").replace(b"\n", b"")
        out.setdefault(name.strip().lower(), []).append(data)
    return out


def header_text(value: bytes) -> str:
    """A raw header value as text for matching (8-bit bytes kept as latin-1)."""
    return value.decode("latin-1")


def charset_hint(msg: Message) -> str | None:
    """The first single-byte charset declared in the body: the best guess for 8-bit headers."""
    try:
        for part in msg.walk():
            charset = part.get_param("charset")
            name = codec_of(charset) if isinstance(charset, str) else None
            if name and name != "ascii" and not name.startswith("utf"):
                return name
    except Exception:
        return None
    return None


def codec_of(charset: str) -> str | None:
    try:
        return codecs.lookup(charset.strip().strip('"').lower()).name
    except (LookupError, ValueError):
        return None


_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def decode_header_value(raw: bytes, hint: str | None = None) -> str | None:
    """RFC 2047 words and raw 8-bit bytes decoded; None when the 8-bit bytes are damaged."""
    pieces: list[tuple[str | None, bytes]] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[pos : match.start()]
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        if between and not (pieces and pieces[-1][0] is not None and not between.strip()):
            pieces.append((None, between))
        charset = match.group(1).split(b"*")[0].decode("ascii", "replace").lower()
        data = _word_bytes(match.group(2).upper(), match.group(3))
        # Words of one charset are joined as bytes: senders split them inside a character.
        if pieces and pieces[-1][0] == charset and not between.strip():
            pieces[-1] = (charset, pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
        pos = match.end()
    if pos < len(raw):
        pieces.append((None, raw[pos:]))
    out: list[str] = []
    for charset, data in pieces:
        if charset is None:
            text = _decode_8bit(data, hint)
            if text is None:
                return None
        else:
            codec = codec_of(charset)
            text = data.decode(codec, "replace") if codec else decode_guess(data)
        out.append(text)
    return "".join(out)


def _word_bytes(kind: bytes, data: bytes) -> bytes:
    try:
        if kind == b"B":
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return data


def _decode_8bit(data: bytes, hint: str | None) -> str | None:
    """Raw header bytes: ASCII, UTF-8, the body's charset, or a guess; None when damaged."""
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Valid multi-byte UTF-8 sequences around the bad bytes: UTF-8 that was damaged, and any
    # single-byte charset would only produce mojibake.
    if re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data) and looks_utf8(data):
        return None
    text = data.decode(hint, "replace") if hint else decode_guess(data)
    return text if _plausible(text) else None


def _plausible(text: str) -> bool:
    """Every 8-bit character decoded to a letter (Cyrillic ones of the Russian alphabet)."""
    for char in text:
        if char.isascii() or char in "№«»–—":
            continue
        if not char.isalpha():
            return False
        if "\u0400" <= char <= "\u04ff" and char.lower() not in _RU_FREQ:
            return False
    return True


def looks_utf8(data: bytes) -> bool:
    decoded = data.decode("utf-8", "replace")
    valid = sum(1 for c in decoded if not c.isascii() and c != "\ufffd")
    return valid > 0


# Relative letter frequencies in Russian text, to tell cp1251 from koi8-r.
_RU_FREQ = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81,
         2.62, 2.01, 1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48,
         0.36, 0.32, 0.26, 0.04, 0.04),
        strict=True,
    )
)  # fmt: skip


def decode_guess(data: bytes) -> str:
    """8-bit text without a usable charset: the likeliest of cp1251, koi8-r and cp1252."""
    best, best_score = data.decode("cp1252", "replace"), -math.inf
    for codec in ("cp1251", "koi8_r", "cp1252"):
        text = data.decode(codec, "replace")
        score = _score(text)
        if score > best_score:
            best, best_score = text, score
    return best


def _score(text: str) -> float:
    score = 0.0
    for i, char in enumerate(text):
        if char.isascii():
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        lower = char.lower()
        if lower in _RU_FREQ:
            score += math.log(_RU_FREQ[lower] / 100)
            if (prev.isascii() and prev.isalpha()) or (nxt.isascii() and nxt.isalpha()):
                score -= 6  # a Cyrillic letter glued to Latin ones: a wrong guess
            if char.isupper() and prev.isalpha() and prev.islower():
                score -= 3
        elif char.isalpha():
            score -= 3.5
            if not prev.isascii() or not nxt.isascii():
                score -= 5  # runs of accented Latin letters are rare; runs of Cyrillic are not
        else:
            score -= 10
    return score


def decode_subject(values: list[bytes], hint: str | None) -> str | None:
    if not values:
        return None
    decoded = decode_header_value(values[0], hint)
    if decoded is None:
        return None
    # Folding leaves leading whitespace; an encoded word may end in a line feed.
    return decoded.lstrip().rstrip("\r\n")


def first_address(values: list[bytes], hint: str | None) -> Address | None:
    for value in values:
        for address in _addresses(value, hint):
            return address
    return None


_ADDR_SPEC = re.compile(r"[^\s<>\"(),;:]+@[^\s<>\"(),;:]+")


def _addresses(raw: bytes, hint: str | None) -> list[Address]:
    """Mailboxes of one address header; 8-bit bytes survive as latin-1 until decoded."""
    value = raw.decode("latin-1")
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    out: list[Address] = []
    for name_raw, addr_raw in pairs:
        if "@" not in addr_raw:
            continue
        address = _decode_8bit(addr_raw.strip().encode("latin-1", "replace"), None)
        if not address:
            continue
        name = decode_header_value(name_raw.encode("latin-1", "replace"), hint)
        name = name.strip() if name else None
        out.append(Address(name or None, address))
    if not out and (match := _ADDR_SPEC.search(value)):
        out.append(Address(None, match.group(0)))
    return out


def message_ids(value: str) -> list[str]:
    ids = [i.strip() for i in re.findall(r"<([^<>]*)>", value) if i.strip()]
    if not ids and value.strip():
        ids = value.split()
    return ["".join(i.split()) for i in ids]


def first_id(values: list[bytes]) -> str | None:
    for value in values:
        if ids := message_ids(header_text(value)):
            return ids[0]
    return None


def header_date(values: list[bytes]) -> datetime | None:
    for value in values:
        try:
            parsed = parsedate_to_datetime(header_text(value).strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox of an address header: display name (None when absent) and address."""

    name: str | None
    address: str


def format_address(address: Address) -> str:
    return f"{address.name} <{address.address}>" if address.name else address.address
