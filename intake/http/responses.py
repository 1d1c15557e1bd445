"""JSON responses with readable UTF-8 (Russian names stay Russian on the wire)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aiohttp import web

dumps = partial(json.dumps, ensure_ascii=False)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A UTF-8 JSON response."""
    return web.json_response(data, status=status, headers=headers, dumps=dumps)
