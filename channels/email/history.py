"""Quoted reply history cut from a message's text (forwarded content is kept)."""

from __future__ import annotations

import re

_CUT = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|исходное сообщение|ursprüngliche nachricht)\s*-{2,}"
    r"|-{3,}\s*original message\s*-{3,}"
    r"|original message follows"
    r"|-+\s*this is a copy of the message"
    r"|_{10,}\s*$)",
    re.IGNORECASE,
)
FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|пересылаемое сообщение|перенаправленное сообщение"
    r"|переадресованное сообщение|weitergeleitete nachricht)\s*-{2,}"
    r"|begin forwarded message:)",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|от|de|da)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:(?:sent|date|отправлено|дата|to|кому|subject|тема|cc)\s*:"
    r"|(?:gesendet|datum|an|betreff|kopie)(?:\s*:|\s))",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"\b(?:wrote|schrieb|написал|написала|a écrit|ha scritto|escribió)\b.*:\s*$"
    r"|\b(?:wrote|написал|написала)\s*$",
    re.IGNORECASE,
)


def strip_history(text: str) -> str:
    """The sender's own text: quoted lines, attribution lines and replied-to mail removed."""
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    kept: list[str] = []
    in_forward = False
    for index, line in enumerate(lines):
        if FORWARD_MARKER.match(line):
            in_forward = True
            kept.append(line.strip())
            continue
        if not in_forward and (_CUT.match(line) or _header_block(lines, index)):
            break
        if line.lstrip().startswith(">"):
            continue
        if _ATTRIBUTION.search(line) and _quote_follows(lines, index):
            if kept and kept[-1].strip() and not _ATTRIBUTION_START.match(line):
                kept.pop()  # the attribution was wrapped over two lines
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|le|il|el)\s", re.IGNORECASE)


def _header_block(lines: list[str], index: int) -> bool:
    """A 'From: … / Sent: … / To: …' block: the start of a replied-to message."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 9] if line.strip()][:4]
    return sum(1 for line in following if _HEADER_NEXT.match(line)) >= 2


def _quote_follows(lines: list[str], index: int) -> bool:
    for line in lines[index + 1 :]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True
