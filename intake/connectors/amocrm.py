"""amoCRM (API v4, a long-lived token): leads into the unsorted forms inbox, or, for a client
amoCRM already knows, a lead bound to the contact through `leads/complex`.

Our lead id is the request's `source_uid`, and the lead's name carries `[LI-<id>]`: before
creating, the connector looks for either (a create whose answer was lost to a timeout is found,
not made twice). Responsible user, pipeline and status follow ours through `PATCH leads/{id}`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp

from intake.connectors.errors import RemoteFailed
from intake.connectors.links import RemoteIds
from intake.connectors.ratelimit import TokenBucket

ANSWER_CHARS = 1024
SOURCE_NAME = "LeadIntake"
# The unsorted entries a lookup reads (newest first): a lost answer is seconds old.
RECENT_UNSORTED = 250
# amoCRM's fixed statuses of every pipeline: 142 won ("Успешно реализовано"), 143 lost.
WON, LOST = 142, 143
DEFAULT_STATUSES: dict[str, int] = {"junk": LOST}
# The form sender's address is not kept on our lead; amoCRM asks for one.
UNKNOWN_IP = "0.0.0.0"  # noqa: S104 - a value sent, not an address bound


class AmoCrmClient:
    """Calls the API with the token, within the account's request limit; HAL JSON back."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        token: str,
        bucket: TokenBucket,
        timeout: float,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._bucket = bucket
        self._timeout = timeout

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """The answer's JSON (None for 204 No Content, amoCRM's empty list), or RemoteFailed
        (429 when over the limit)."""
        await self._bucket.take()
        what = f"{method} {path}"
        try:
            async with asyncio.timeout(self._timeout):
                async with self._http.request(
                    method,
                    f"{self._base}{path}",
                    json=body,
                    params=dict(params or {}),
                    headers=self._headers,
                    allow_redirects=False,
                ) as response:
                    status = response.status
                    text = await response.text(errors="replace")
        except TimeoutError as err:
            raise RemoteFailed(None, f"{what}: timeout") from err
        except (aiohttp.ClientError, OSError) as err:
            raise RemoteFailed(None, f"{what}: {type(err).__name__}: {err}") from err
        if status == 204:
            return None
        if not 200 <= status < 300:
            raise RemoteFailed(status, f"{what}: {status}", text[:ANSWER_CHARS])
        try:
            return json.loads(text)
        except ValueError as err:
            raise RemoteFailed(status, f"{what}: not JSON", text[:ANSWER_CHARS]) from err


class AmoCrmConnector:
    """Turns our events into amoCRM calls, using the head's mapping."""

    def __init__(self, client: AmoCrmClient, links: RemoteIds, mapping: Mapping[str, Any]) -> None:
        self._client = client
        self._links = links
        self._mapping = mapping

    async def deliver(self, event: Mapping[str, Any], *, first_try: bool = False) -> str:
        """Do what the event asks of amoCRM; what was done, for the delivery log.

        `first_try`: this delivery was never tried, so a lead.created's lead cannot exist
        yet and the look-up by our id is skipped (two calls less under the request limit).
        """
        kind, data = str(event["type"]), event["data"]
        if kind.startswith("lead.") and data.get("lead_id") is not None:
            known = await self._links.get("lead", int(data["lead_id"]))
            if known is None:
                fresh = first_try and kind == "lead.created"
                return f"lead {await self.create_lead(data, first_try=fresh)}"
            if kind != "lead.created":
                # An assignment leaves the status as it is there (someone may have moved it).
                changes = self._lead_changes(data, with_status=kind != "lead.assigned")
                await self._update(known, changes)
            return f"lead {known}"
        if kind in ("deal.won", "deal.lost") and data.get("lead_id") is not None:
            known = await self._links.get("lead", int(data["lead_id"]))
            if known is None:
                return "skipped: the lead is not in amoCRM"
            await self._update(known, {"status_id": WON if kind == "deal.won" else LOST})
            return f"lead {known}"
        return "ignored"

    async def create_lead(self, data: Mapping[str, Any], *, first_try: bool = False) -> str:
        """Find the lead a lost answer created, or create it; link it."""
        lead_id = int(data["lead_id"])
        remote = None if first_try else await self._find(lead_id)
        if remote is None:
            contact = await self._known_contact(data)
            if contact is None:
                remote = await self._unsorted(data)
            else:
                remote = await self._complex(data, contact)
        await self._links.keep("lead", lead_id, remote)
        return remote

    async def _find(self, lead_id: int) -> str | None:
        """A lead carrying our id: in the unsorted inbox by source_uid, else by its name."""
        unsorted = await self._client.call(
            "GET",
            "/api/v4/leads/unsorted",
            params={
                "filter[category][]": "forms",
                "order[created_at]": "desc",
                "limit": str(RECENT_UNSORTED),
            },
        )
        for entry in _embedded(unsorted, "unsorted"):
            if entry.get("source_uid") == source_uid(lead_id):
                leads = _embedded(entry, "leads")
                if leads:
                    return str(leads[0]["id"])
        found = await self._client.call("GET", "/api/v4/leads", params={"query": marker(lead_id)})
        for lead in _embedded(found, "leads"):
            if marker(lead_id) in str(lead.get("name", "")):
                return str(lead["id"])
        return None

    async def _known_contact(self, data: Mapping[str, Any]) -> int | None:
        """An amoCRM contact with the lead's phone or e-mail."""
        for value in (data.get("phone"), data.get("email")):
            if value:
                found = await self._client.call(
                    "GET", "/api/v4/contacts", params={"query": str(value)}
                )
                contacts = _embedded(found, "contacts")
                if contacts:
                    return int(contacts[0]["id"])
        return None

    async def _unsorted(self, data: Mapping[str, Any]) -> str:
        lead_id = int(data["lead_id"])
        sent_at = str(data.get("received_at") or "")
        request = {
            "source_name": self._mapping.get("source_name", SOURCE_NAME),
            "source_uid": source_uid(lead_id),
            "created_at": _epoch(str(data.get("created_at") or sent_at)),
            "metadata": {
                "form_id": str(data.get("source") or data.get("channel") or "leadintake"),
                "form_name": str(data.get("source") or data.get("channel") or "LeadIntake"),
                "form_page": str(self._mapping.get("form_page", "https://leadintake.local/")),
                "ip": str(data.get("ip") or UNKNOWN_IP),
                "form_sent_at": _epoch(sent_at),
            },
            "_embedded": {
                # The inbox decides pipeline and status when the lead is accepted.
                "leads": [{"name": self._lead(data)["name"]}],
                "contacts": [contact_fields(data)],
                "companies": [{"name": data["company"]}] if data.get("company") else [],
            },
        }
        if (pipeline := self._pipeline(data)) is not None:
            request["pipeline_id"] = pipeline
        answer = await self._client.call("POST", "/api/v4/leads/unsorted/forms", [request])
        entries = _embedded(answer, "unsorted")
        leads = _embedded(entries[0], "leads") if entries else []
        if not leads:
            raise RemoteFailed(200, "unsorted/forms: no lead in the answer", str(answer)[:500])
        return str(leads[0]["id"])

    async def _complex(self, data: Mapping[str, Any], contact: int) -> str:
        lead = {**self._lead(data), "_embedded": {"contacts": [{"id": contact}]}}
        answer = await self._client.call("POST", "/api/v4/leads/complex", [lead])
        if not isinstance(answer, list) or not answer:
            raise RemoteFailed(200, "leads/complex: no lead in the answer", str(answer)[:500])
        return str(answer[0]["id"])

    def _lead(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The lead as amoCRM takes it: a name with our marker, and the mapped values."""
        who = data.get("name") or data.get("phone") or data.get("email") or "Клиент"
        return {"name": f"{who} {marker(int(data['lead_id']))}", **self._lead_changes(data)}

    def _lead_changes(
        self, data: Mapping[str, Any], *, with_status: bool = True
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        user = self._mapping.get("users", {}).get(data.get("assignee"))
        if user is not None:
            changes["responsible_user_id"] = int(user)
        statuses = {**DEFAULT_STATUSES, **self._mapping.get("statuses", {})}
        status = statuses.get(str(data.get("status"))) if with_status else None
        if status is not None:
            changes["status_id"] = int(status)
            if (pipeline := self._pipeline(data)) is not None:
                changes["pipeline_id"] = pipeline
        return changes

    def _pipeline(self, data: Mapping[str, Any]) -> int | None:
        pipelines = self._mapping.get("pipelines", {})
        found = pipelines.get(data.get("pipeline")) or pipelines.get(data.get("queue"))
        return None if found is None else int(found)

    async def _update(self, remote: str, changes: Mapping[str, Any]) -> None:
        if changes:
            await self._client.call("PATCH", f"/api/v4/leads/{remote}", dict(changes))


def source_uid(lead_id: int) -> str:
    """The unsorted request's id: our lead's, so a repeat is recognised."""
    return f"leadintake-lead-{lead_id}"


def marker(lead_id: int) -> str:
    """What a lead's name carries so it can be found by our id."""
    return f"[LI-{lead_id}]"


def contact_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A contact with its phone and e-mail as amoCRM's PHONE/EMAIL field codes."""
    values: list[dict[str, Any]] = []
    if data.get("phone"):
        values.append(
            {"field_code": "PHONE", "values": [{"value": data["phone"], "enum_code": "WORK"}]}
        )
    if data.get("email"):
        values.append(
            {"field_code": "EMAIL", "values": [{"value": data["email"], "enum_code": "WORK"}]}
        )
    contact: dict[str, Any] = {"name": data.get("name") or data.get("phone") or "Клиент"}
    if values:
        contact["custom_fields_values"] = values
    return contact


def _embedded(answer: Any, key: str) -> list[dict[str, Any]]:
    """`_embedded.<key>` of a HAL answer (nothing for 204 or another shape)."""
    if not isinstance(answer, dict):
        return []
    found = answer.get("_embedded", {}).get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _epoch(stamp: str) -> int:
    """Unix seconds of an ISO time (amoCRM's timestamps); 0 when it is not one."""
    try:
        return int(datetime.fromisoformat(stamp).timestamp())
    except ValueError:
        return 0
