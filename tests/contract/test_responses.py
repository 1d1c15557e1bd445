"""Routes the e2e scenarios leave out answer as documented (run_service checks every answer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config import Settings, load_settings
from tests.conftest import TEST_CONFIG, storage_of_kind
from tests.e2e.conftest import Running, run_service


async def _call(
    running: Running, method: str, path: str, login: str, body: Any = None, status: int = 200
) -> Any:
    async with running.client.request(
        method, path, json=body, headers=running.auth(login)
    ) as response:
        payload = await response.json()
        assert response.status == status, payload
        return payload


async def _new_lead(running: Running, phone: str, company: str | None = None) -> dict[str, Any]:
    form = {"name": "Иван Петров", "phone": phone, "company": company}
    async with running.client.post("/api/v1/forms/site", json=form) as response:
        assert response.status == 202
        intake_id = (await response.json())["intake_id"]
    return await running.wait_for_lead(intake_id)


def _settings(tmp_path: Path) -> Settings:
    """The test config where a manager's lost deal waits for a head's approval."""
    pipeline = 'key = "main"\nname = "Продажи"\n'
    text = TEST_CONFIG.format(db=tmp_path / "db.sqlite3")
    assert pipeline in text
    path = tmp_path / "leadintake.toml"
    path.write_text(text.replace(pipeline, pipeline + "lost_requires_approval = true\n"), "utf-8")
    return load_settings(path, environ={})


async def test_the_sales_routes_answer_as_documented(tmp_path: Path) -> None:
    async with (
        storage_of_kind("sqlite", tmp_path) as storage,
        run_service(_settings(tmp_path), storage) as running,
    ):
        lead = await _new_lead(running, "+79161230001", "ООО Ромашка")
        other = "petrov" if lead["assignee"] == "ivanova" else "ivanova"
        path = f"/api/v1/leads/{lead['id']}"
        await _call(running, "POST", f"{path}/reassign", "head", {"manager": other})
        await _call(running, "POST", f"{path}/take", other)
        converted = await _call(running, "POST", f"{path}/convert", other, {}, status=201)
        await _call(running, "GET", f"{path}/assignments", "head")
        deal = f"/api/v1/deals/{converted['deal_id']}"
        assert (await _call(running, "GET", "/api/v1/deals", other))["items"]
        lost = {"stage": "lost", "reason": "дорого"}
        moved = await _call(running, "POST", f"{deal}/stage", other, lost)
        assert moved["outcome"] == "awaiting_approval"
        await _call(running, "POST", f"{deal}/lost/reject", "head")
        await _call(running, "POST", f"{deal}/lost/approve", "head", status=409)
        await _call(running, "POST", f"{deal}/stage", other, lost)
        closed = await _call(running, "POST", f"{deal}/lost/approve", "head")
        assert closed["status"] == "lost"
        await _call(running, "GET", deal, "head")
        if converted["company_id"] is not None:
            await _call(running, "GET", f"/api/v1/companies/{converted['company_id']}", "head")

        junk = await _new_lead(running, "+79161230002")
        await _call(
            running, "POST", f"/api/v1/leads/{junk['id']}/junk", "head", {"reason": "spam"}
        )
        await _call(running, "POST", "/api/v1/leads/999999/take", "head", status=404)

        await _call(running, "GET", "/api/v1/reports/funnel", "head")
        await _call(running, "GET", "/api/v1/reports/lead-quality", other)
        await _call(running, "GET", "/api/v1/reports/funnel?pipeline=nope", "head", status=422)
        await _call(running, "GET", "/api/v1/calls", "head")
        await _call(running, "GET", "/api/v1/deals?status=lost", "head")

        async with running.client.get("/api/v1/events", headers=running.auth("head")) as stream:
            assert stream.status == 200
            assert stream.content_type == "text/event-stream"
