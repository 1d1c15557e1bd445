"""The message's text: the MIME walk, forwarded messages, charsets and HTML to text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser

from channels.email.const import (
    MAX_NESTING,
)
from channels.email.headers import (
    charset_hint,
    codec_of,
    decode_guess,
    decode_header_value,
    decode_subject,
    first_address,
    format_address,
    looks_utf8,
    raw_headers,
)


@dataclass(slots=True)
class Collected:
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # The MIME part of each attachment, in the same order (to take a file out again).
    parts: list[Message] = field(default_factory=list)
    has_plain: bool = False
    marketing_html: bool = False


def collect_parts(part: Message, out: Collected, *, depth: int, in_report: bool) -> None:
    """Walk the MIME tree in order: inline text goes to texts, files to attachments."""
    try:
        content_type = part.get_content_type()
    except Exception:
        content_type = "text/plain"
    if content_type == "message/rfc822" or (
        content_type.startswith("message/") and _payload_list(part)
    ):
        if in_report or depth >= MAX_NESTING:
            return
        for inner in _payload_list(part):
            _collect_forwarded(inner, out, depth=depth + 1)
        return
    if part.is_multipart():
        children = _payload_list(part)
        if content_type == "multipart/related":
            out.marketing_html = True
        if content_type == "multipart/alternative":
            _collect_alternative(children, out, depth=depth, in_report=in_report)
            return
        report = in_report or content_type == "multipart/report"
        for child in children:
            collect_parts(child, out, depth=depth, in_report=report)
        return
    filename = _filename(part)
    disposition = _disposition(part)
    if content_type in {"text/plain", "text/html"} and disposition != "attachment":
        text = _part_text(part)
        if content_type == "text/html":
            lowered = text.lower()
            if "unsubscribe" in lowered or "отписаться" in lowered or "cid:" in lowered:
                out.marketing_html = True
            text = html_to_text(text)
        elif text.strip():
            out.has_plain = True
        out.texts.append(text)
        return
    if content_type == "text/rfc822-headers" and in_report:
        return
    out.attachments.append(Attachment(filename, content_type, _decoded_size(part)))
    out.parts.append(part)


def part_content(part: Message) -> bytes:
    """An attachment's decoded bytes (empty when its transfer encoding cannot be read)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken part is an empty file, never a crash
        return b""
    return payload if isinstance(payload, bytes) else b""


def _decoded_size(part: Message) -> int | None:
    size = len(part_content(part))
    return size or None


def _collect_alternative(
    children: list[Message], out: Collected, *, depth: int, in_report: bool
) -> None:
    """The plain-text version when it has text, else the richest other one."""
    plain = [c for c in children if _type(c) == "text/plain"]
    for child in plain:
        probe = Collected()
        collect_parts(child, probe, depth=depth, in_report=in_report)
        if any(t.strip() for t in probe.texts):
            out.texts.extend(probe.texts)
            out.has_plain = True
            # Still look at the other versions for marketing traits (images, unsubscribe).
            for other in children:
                if other is not child:
                    shadow = Collected()
                    collect_parts(other, shadow, depth=depth, in_report=in_report)
                    out.marketing_html = out.marketing_html or shadow.marketing_html
            return
    for child in reversed(children):
        if child in plain:
            continue
        collect_parts(child, out, depth=depth, in_report=in_report)
        return
    for child in plain:
        collect_parts(child, out, depth=depth, in_report=in_report)


def _collect_forwarded(inner: Message, out: Collected, *, depth: int) -> None:
    """An attached message: its content is the request, so its text is kept, headed."""
    inner = _repair_headers(inner)
    headers = raw_headers(inner)
    hint = charset_hint(inner)
    lines = ["-------- Forwarded message --------"]
    sender = first_address(headers.get("from", []), hint)
    if sender is not None:
        lines.append(f"From: {format_address(sender)}")
    if (subject := decode_subject(headers.get("subject", []), hint)) is not None:
        lines.append(f"Subject: {subject}")
    inner_out = Collected()
    collect_parts(inner, inner_out, depth=depth, in_report=False)
    out.texts.append("\n".join(lines) + "\n\n" + "\n\n".join(inner_out.texts))
    out.attachments.extend(inner_out.attachments)
    out.parts.extend(inner_out.parts)
    out.has_plain = out.has_plain or inner_out.has_plain


def _repair_headers(inner: Message) -> Message:
    """Re-join a header block split by a stray empty line (Outlook does this in attachments)."""
    body = inner.get_payload()
    if inner.get("content-type") is not None or not isinstance(body, str):
        return inner
    if not re.match(r"\s*content-type:", body, re.IGNORECASE):
        return inner
    head = "".join(f"{name}: {value}\r\n" for name, value in inner.raw_items())
    repaired = (head + body.lstrip("\r\n")).encode("utf-8", "surrogateescape")
    return BytesParser(policy=policy.default).parsebytes(repaired)


def _type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _payload_list(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return []


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _filename(part: Message) -> str | None:
    """The attachment's name without any path, decoded, or None."""
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:
        name = None
    if not isinstance(name, str) or not name.strip():
        return None
    raw = name.encode("utf-8", "surrogateescape")
    decoded = decode_header_value(raw) or raw.decode("utf-8", "replace")
    decoded = re.split(r"[\\/]", decoded)[-1]
    decoded = "".join(c for c in decoded if c.isprintable()).strip().lstrip(".")
    return decoded or None


def _part_text(part: Message) -> str:
    """The decoded text of a leaf part, whatever its declared (or missing) charset."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        if not isinstance(payload, str):
            return ""
        data = payload.encode("utf-8", "surrogateescape")
    charset = part.get_param("charset")
    codec = codec_of(charset) if isinstance(charset, str) else None
    return decode_body(data, codec)


def decode_body(data: bytes, codec: str | None) -> str:
    """Body bytes in the declared charset, else UTF-8, else the likeliest Cyrillic/Latin one."""
    if data.isascii():
        return data.decode("ascii")
    if codec and codec != "ascii":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec and codec not in {"ascii", "utf-8"}:
        return data.decode(codec, "replace")
    if looks_utf8(data) and re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data):
        return data.decode("utf-8", "replace")
    return decode_guess(data)


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "hr", "pre", "blockquote", "dd", "dt", "dl", "section", "article", "header", "footer",
     "address", "center", "form", "title"}
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "noscript", "template"})


class _TextExtractor(HTMLParser):
    """Visible text of an HTML document; block elements start new lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, list[str]]] = [(0, [])]
        self.skip = 0
        self.pre = 0
        self.quote = 0

    def _newline(self, *, force: bool = False) -> None:
        # Blocks only break the line; <br> (forced) may also leave an empty one.
        if force or "".join(self.lines[-1][1]).strip():
            self.lines.append((self.quote, []))
        else:
            self.lines[-1] = (self.quote, self.lines[-1][1])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            self._newline(force=tag == "br")
        elif tag in {"td", "th"}:
            self.lines[-1][1].append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._newline(force=tag == "br")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.replace("\r", "").split("\n")
            self.lines[-1][1].append(first)
            for line in rest:
                self._newline(force=True)
                self.lines[-1][1].append(line)
            return
        self.lines[-1][1].append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        """The collected lines, quoted ones marked with '> ', blank runs collapsed."""
        out: list[str] = []
        for quote, pieces in self.lines:
            line = re.sub(r"[ \t\xa0]+", " ", "".join(pieces)).strip()
            if quote and line:
                line = "> " + line
            out.append(line)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def html_to_text(html: str) -> str:
    """HTML as plain text: no script/style, block elements on their own lines, entities read."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but this must never take a message down
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached file as listed in meta: a sanitised name and its content type."""

    filename: str | None
    content_type: str
    size: int | None = None
