"""The sender's name from an e-mail signature, for messages that arrive without one."""

from __future__ import annotations

import re

from dedupe.names import is_known_first_name

VALEDICTION = re.compile(
    r"^\s*(?:--+|с уважением|с наилучшими пожеланиями|всего доброго|всего хорошего|спасибо"
    r"|заранее спасибо|благодарю|best regards|kind regards|regards|thanks|thank you|cheers)"
    r"\s*[,.!]*\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
NAME_LINE = re.compile(r"^[A-ZА-ЯЁ][\w'-]*(?:\s+[A-ZА-ЯЁ][\w.'-]*){0,2}\.?$")
LOOKAHEAD_LINES = 3


def signature_name(text: str | None) -> str | None:
    """The name line under "С уважением," / "Спасибо," / "--", when it reads as a name."""
    if not text:
        return None
    lines = [line.strip() for line in text[-2000:].splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        match = VALEDICTION.match(lines[index])
        if not match:
            continue
        same_line = match.group("rest").strip()
        following = [line for line in lines[index + 1 :] if line][:LOOKAHEAD_LINES]
        for candidate in ([same_line] if same_line else []) + following:
            if _reads_as_name(candidate):
                return candidate
    return None


def _reads_as_name(line: str) -> bool:
    if not NAME_LINE.match(line):
        return False
    return any(is_known_first_name(word) for word in line.replace(".", " ").split())
