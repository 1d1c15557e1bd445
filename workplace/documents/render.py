"""The PDF boundary: HTML in, PDF bytes out, through WeasyPrint.

Nothing is fetched while rendering but the fonts shipped beside this module and data: URIs
(the images a view carries): a document never reaches the network or another file, whatever
its text holds. WeasyPrint's failures come out as `DocumentRenderError`.

WeasyPrint is not documented as thread-safe, so async callers render on one dedicated thread
(`render_off_loop`): the event loop goes on serving while a document is laid out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

FONTS = Path(__file__).parent / "fonts"
STYLESHEET = Path(__file__).parent / "templates" / "document.css"
PDF_MEDIA_TYPE = "application/pdf"

log = logging.getLogger(__name__)
_renderer: ThreadPoolExecutor | None = None


class DocumentRenderError(Exception):
    """The document could not be rendered (the renderer's own reason in the message)."""


class _LocalOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
    """Fetches the shipped fonts and data: URIs; refuses every other URL."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://")).resolve()
            if path.parent == FONTS.resolve() and path.suffix == ".ttf":
                return super().fetch(url, headers)
        raise ValueError(f"documents fetch nothing from outside: {url[:80]}")


@functools.cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    """The stylesheet with its fonts loaded, once per process (a third of a render's time);
    only the documents' thread renders, so sharing them is safe."""
    fonts = FontConfiguration()
    stylesheet = CSS(
        string=STYLESHEET.read_text("utf-8"),
        base_url=FONTS.as_uri() + "/",
        font_config=fonts,
        url_fetcher=_LocalOnly(),
    )
    return stylesheet, fonts


def render_pdf(html: str) -> bytes:
    """The HTML (our templates' output) as a PDF with the documents' stylesheet."""
    try:
        stylesheet, fonts = _stylesheet()
        pdf = HTML(string=html, base_url=FONTS.as_uri() + "/", url_fetcher=_LocalOnly()).write_pdf(
            stylesheets=[stylesheet], font_config=fonts
        )
    except Exception as err:
        # WeasyPrint (and Pango, fontTools, Pillow under it) fail with many exception types;
        # callers get one, with the original chained.
        raise DocumentRenderError(f"the PDF could not be rendered ({type(err).__name__})") from err
    if not isinstance(pdf, bytes):
        raise DocumentRenderError("the renderer gave no PDF")
    return pdf


async def render_off_loop(make: Callable[[], bytes]) -> bytes:
    """Run a rendering function on the documents' own thread; the loop is not blocked."""
    global _renderer  # one thread for the process, started on first use
    if _renderer is None:
        _renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")
    return await asyncio.get_running_loop().run_in_executor(_renderer, make)
