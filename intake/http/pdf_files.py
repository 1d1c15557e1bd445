"""PDF documents as HTTP downloads: a safe file name from the document's number and the
response with both a Latin `filename` and the exact UTF-8 `filename*`."""

from __future__ import annotations

from urllib.parse import quote as url_quote

from aiohttp import web

from workplace.documents import PDF_MEDIA_TYPE

# Cyrillic letters in Latin ones (as in passports, ГОСТ Р 52535.1), signs dropped.
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        (
            *("a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n"),
            *("o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", ""),
            *("y", "", "e", "yu", "ya"),
        ),
        strict=True,
    )
)


def ascii_file_name(name: str) -> str:
    """The name in Latin letters for clients that read only `filename`: КП-2026-1.pdf →
    KP-2026-1.pdf; anything else not ASCII becomes '_'."""
    out = []
    for ch in name:
        latin = _TRANSLIT.get(ch.lower())
        if latin is not None:
            out.append(latin.upper() if ch.isupper() else latin)
        else:
            out.append(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_")
    return "".join(out)


def pdf_response(content: bytes, file_name: str) -> web.Response:
    """A PDF as a download named `file_name` (an ASCII name for old clients beside it)."""
    ascii_name = ascii_file_name(file_name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{url_quote(file_name)}"
    return web.Response(
        body=content,
        headers={
            "Content-Type": PDF_MEDIA_TYPE,
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def pdf_file_name(number: str) -> str:
    """The PDF's file name from the document number: "КП-2026-0001.pdf" (anything but
    letters, digits, '-' and '_' becomes '_')."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in number).strip("_")
    return f"{safe or 'document'}.pdf"
