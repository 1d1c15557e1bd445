"""Decode a form body (JSON, urlencoded, multipart) into ordered (name, value) pairs."""

from __future__ import annotations

import email.utils
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from channels.errors import MalformedBody, UnsupportedContentType
from channels.webform.nested import Pairs, flatten_object


def media_type_and_params(content_type: str) -> tuple[str, dict[str, str]]:
    """`text/html; charset=UTF-8` → ("text/html", {"charset": "UTF-8"})."""
    head, *rest = content_type.split(";")
    params = {}
    for part in rest:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return head.strip().lower(), params


def decode_body(content_type: str, body: bytes) -> Pairs:
    """Every submitted field in order; repeated names keep every value."""
    media_type, params = media_type_and_params(content_type)
    charset = params.get("charset", "utf-8")
    if media_type == "application/json":
        return _decode_json(body, charset)
    if media_type == "application/x-www-form-urlencoded":
        return _decode_urlencoded(body, charset)
    if media_type == "multipart/form-data":
        return _decode_multipart(content_type, body)
    raise UnsupportedContentType(content_type)


def _text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except LookupError as err:
        raise MalformedBody(f"unknown charset {charset!r}") from err
    except UnicodeDecodeError as err:
        raise MalformedBody(f"body is not valid {charset}") from err


def _decode_json(body: bytes, charset: str) -> Pairs:
    try:
        # Some senders (.NET, PowerShell) prefix JSON with a byte-order mark.
        data = json.loads(_text(body, charset).removeprefix("\ufeff"))
    except json.JSONDecodeError as err:
        raise MalformedBody(f"malformed JSON: {err.msg} at line {err.lineno}") from err
    except RecursionError as err:
        raise MalformedBody("malformed JSON: nested too deeply") from err
    except ValueError as err:  # an integer literal beyond Python's digit limit
        raise MalformedBody("malformed JSON: a number is too long") from err
    if not isinstance(data, dict):
        raise MalformedBody("JSON body must be an object of form fields")
    # Nested objects become dotted names ("answers.phone"), arrays keep every value.
    return flatten_object(data)


def _decode_urlencoded(body: bytes, charset: str) -> Pairs:
    text = _text(body, charset)
    try:
        return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except LookupError as err:
        raise MalformedBody(f"unknown charset {charset!r}") from err
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedBody(f"urlencoded body is not valid {charset}") from err


def _decode_multipart(content_type: str, body: bytes) -> Pairs:
    _, params = media_type_and_params(content_type)
    if not params.get("boundary"):
        raise MalformedBody("multipart body without a boundary")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    try:
        message = BytesParser(policy=HTTP).parsebytes(header + body)
    except (ValueError, UnicodeError) as err:
        raise MalformedBody("malformed multipart body") from err
    if not message.is_multipart() or message.defects:
        raise MalformedBody("malformed multipart body")
    pairs: Pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, tuple):  # RFC 2231 name*=utf-8''...
            name = email.utils.collapse_rfc2231_value(name)
        if not isinstance(name, str):
            continue
        pairs.append((_raw_utf8(name), _part_value(part)))
    return pairs


def _raw_utf8(header_value: str) -> str:
    """Browsers send field names as raw UTF-8; the parser left them as surrogate escapes."""
    try:
        return header_value.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return header_value


def _part_value(part: Message) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    if filename is not None:
        return f"<file {_raw_utf8(filename)}, {len(data)} bytes>"
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError) as err:
        raise MalformedBody(
            f"multipart field {part.get_param('name', header='content-disposition')!r}"
            " is not valid text"
        ) from err
