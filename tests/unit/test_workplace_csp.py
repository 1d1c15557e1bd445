"""Templates keep to the pages' CSP: no inline scripts or event handlers (they would be
blocked silently, and a confirmation would stop asking)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "workplace" / "templates"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_no_inline_script(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not INLINE_HANDLER.search(text)
    assert not INLINE_SCRIPT.search(text)
    assert not JS_URL.search(text)


def test_the_scan_sees_an_inline_handler() -> None:
    assert INLINE_HANDLER.search('<form onsubmit="return confirm(1)">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
