"""Baseline for the intake benchmark: aiohttp parsing the same JSON, storing nothing."""

from __future__ import annotations

import json
import sys

from aiohttp import web


async def bare_form(request: web.Request) -> web.Response:
    """Parse the body as the form endpoint would, answer at once."""
    fields = json.loads(await request.read())
    return web.json_response({"intake_id": len(fields), "status": "accepted"}, status=202)


def main() -> None:
    """Serve on the port given as the only argument."""
    app = web.Application()
    app.router.add_post("/api/v1/forms/{form_key}", bare_form)
    app.router.add_get("/healthz", lambda _: web.json_response({"status": "ok"}))
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
