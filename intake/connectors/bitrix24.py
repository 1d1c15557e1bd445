"""Bitrix24 through an inbound webhook (`https://<portal>/rest/<user>/<code>/<method>.json`).

A lead is created once: our id goes into ORIGINATOR_ID/ORIGIN_ID, and before creating the
connector looks for a record carrying it (a create whose answer was lost to a timeout is found,
not made twice). A client Bitrix24 already knows (`crm.duplicate.findbycomm` on the phone and
e-mail) gets a repeat lead bound to the contact. A conversion's contact, company and deal are
looked up in one `batch` call and the missing ones created in another, the deal bound to the
contact and company through `$result[...]` references.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from intake.connectors.errors import RemoteFailed
from intake.connectors.links import RemoteIds
from intake.connectors.ratelimit import TokenBucket

ORIGINATOR = "leadintake"
# crm.duplicate.findbycomm takes at most 20 values of one type per call.
MAX_VALUES = 20
ANSWER_CHARS = 1024
DEFAULT_STATUSES = {
    "new": "NEW",
    "in_work": "IN_PROCESS",
    "junk": "JUNK",
    "converted": "CONVERTED",
}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@dataclass(frozen=True, slots=True)
class Ref:
    """In a `batch` command: the result of an earlier command of the same batch."""

    name: str


def php_query(params: Mapping[str, Any]) -> str:
    """`params` as PHP's http_build_query writes them (`fields[PHONE][0][VALUE]=...`), the
    way `batch` commands are written; a Ref stays unencoded for Bitrix24 to substitute."""
    return "&".join(
        f"{quote(key, safe='[]')}=$result[{value.name}]"
        if isinstance(value, Ref)
        else f"{quote(key, safe='[]')}={quote(str(value), safe='')}"
        for key, value in _flatten("", params)
    )


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(f"{prefix}[{key}]" if prefix else str(key), item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _flatten(f"{prefix}[{index}]", item)
    elif isinstance(value, bool):
        yield prefix, "Y" if value else "N"
    elif value is not None:
        yield prefix, value


class Bitrix24Client:
    """Calls REST methods through the webhook URL, within the portal's request limit."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, bucket: TokenBucket, timeout: float
    ) -> None:
        self._http = http
        self._base = base_url
        self._bucket = bucket
        self._timeout = timeout

    async def call(self, method: str, params: Mapping[str, Any]) -> Any:
        """The method's `result`, or RemoteFailed (QUERY_LIMIT_EXCEEDED answers 503)."""
        await self._bucket.take()
        try:
            async with asyncio.timeout(self._timeout):
                async with self._http.post(
                    f"{self._base}{method}.json", json=dict(params), allow_redirects=False
                ) as response:
                    status = response.status
                    text = await response.text(errors="replace")
        except TimeoutError as err:
            raise RemoteFailed(None, f"{method}: timeout") from err
        except (aiohttp.ClientError, OSError) as err:
            raise RemoteFailed(None, f"{method}: {type(err).__name__}: {err}") from err
        try:
            body = json.loads(text)
        except ValueError as err:
            raise RemoteFailed(status, f"{method}: not JSON", text[:ANSWER_CHARS]) from err
        if not isinstance(body, dict) or "error" in body or not 200 <= status < 300:
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise RemoteFailed(status, f"{method}: {error or status}", text[:ANSWER_CHARS])
        return body.get("result")

    async def batch(
        self, commands: Mapping[str, tuple[str, Mapping[str, Any]]]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Run commands (name → method, params) in one call, stopping at the first error;
        the results by name, and the errors by name."""
        cmd = {
            name: f"{method}?{php_query(params)}" for name, (method, params) in commands.items()
        }
        answer = await self.call("batch", {"halt": 1, "cmd": cmd})
        if not isinstance(answer, dict):
            raise RemoteFailed(502, "batch: no result")
        results = answer.get("result")
        errors = answer.get("result_error")
        # PHP writes an empty map as [].
        found = dict(results) if isinstance(results, dict) else {}
        failed = {
            str(name): str(error.get("error") if isinstance(error, dict) else error)
            for name, error in (errors.items() if isinstance(errors, dict) else ())
        }
        return found, failed


class Bitrix24Connector:
    """Turns our events into Bitrix24 calls, using the head's mapping."""

    def __init__(
        self, client: Bitrix24Client, links: RemoteIds, mapping: Mapping[str, Any]
    ) -> None:
        self._client = client
        self._links = links
        self._mapping = mapping

    async def deliver(self, event: Mapping[str, Any], *, first_try: bool = False) -> str:
        """Do what the event asks of Bitrix24; what was done, for the delivery log.

        `first_try`: this delivery was never tried, so its create cannot have been made yet
        and the look-up by our id is skipped (a call less under the request limit).
        """
        kind, data = str(event["type"]), event["data"]
        if kind == "lead.created":
            return f"lead {await self.create_lead(data, first_try=first_try)}"
        if kind in ("lead.assigned", "lead.taken", "lead.junked"):
            # An assignment leaves the status as it is there (someone may have moved it).
            return await self._update_lead(data, with_status=kind != "lead.assigned")
        if kind == "lead.converted":
            return await self._convert(data)
        if kind.startswith("deal."):
            return await self._update_deal(kind, data)
        return "ignored"

    async def create_lead(self, data: Mapping[str, Any], *, first_try: bool = False) -> str:
        """The lead's Bitrix24 id, creating it (once) when Bitrix24 has none."""
        known = await self._links.get("lead", int(data["lead_id"]))
        if known is not None:
            return known
        contact = await self._known_contact(data)
        fields = lead_fields(data, self._mapping, self._status(data))
        if contact is not None:
            fields["CONTACT_ID"] = contact
        return await self._create_once("lead", int(data["lead_id"]), fields, look=not first_try)

    async def _create_once(
        self, entity: str, local_id: int, fields: dict[str, Any], *, look: bool = True
    ) -> str:
        """Find the record carrying our id (a lost answer's create) or create it; link it."""
        known = await self._links.get(entity, local_id)
        if known is not None:
            return known
        found = None
        if look:
            found = await self._client.call(f"crm.{entity}.list", _by_our_id(local_id))
        if isinstance(found, list) and found:
            remote = str(found[0]["ID"])
        else:
            fields = {**fields, "ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": str(local_id)}
            remote = str(await self._client.call(f"crm.{entity}.add", {"fields": fields}))
        await self._links.keep(entity, local_id, remote)
        return remote

    async def _known_contact(self, data: Mapping[str, Any]) -> str | None:
        """A Bitrix24 contact with the lead's phone or e-mail."""
        for kind, value in (("PHONE", data.get("phone")), ("EMAIL", data.get("email"))):
            if not value:
                continue
            found = await self._client.call(
                "crm.duplicate.findbycomm",
                {"entity_type": "CONTACT", "type": kind, "values": [value][:MAX_VALUES]},
            )
            ids = found.get("CONTACT") if isinstance(found, dict) else None
            if ids:
                return str(ids[0])
        return None

    def _status(self, data: Mapping[str, Any]) -> str | None:
        statuses = {**DEFAULT_STATUSES, **self._mapping.get("statuses", {})}
        return statuses.get(str(data.get("status")))

    def _user(self, login: object) -> Any:
        return self._mapping.get("users", {}).get(login) if isinstance(login, str) else None

    async def _update_lead(self, data: Mapping[str, Any], *, with_status: bool = True) -> str:
        """Responsible and status follow ours (a lead Bitrix24 lacks is created as it is)."""
        lead_id = int(data["lead_id"])
        remote = await self._links.get("lead", lead_id)
        if remote is None:
            return f"lead {await self.create_lead(data)}"
        fields: dict[str, Any] = {}
        if (user := self._user(data.get("assignee"))) is not None:
            fields["ASSIGNED_BY_ID"] = user
        if with_status and (status := self._status(data)) is not None:
            fields["STATUS_ID"] = status
        if fields:
            await self._client.call("crm.lead.update", {"id": remote, "fields": fields})
        return f"lead {remote}"

    async def _convert(self, data: Mapping[str, Any]) -> str:
        """Our conversion: the lead is marked converted and, where configured, its contact,
        company and deal are created in Bitrix24 too (each once), the deal bound to them."""
        done = await self._update_lead(data)
        if not self._mapping.get("create_deals") or data.get("deal_id") is None:
            return done
        deal: dict[str, Any] = {"TITLE": title(data)}
        if (user := self._user(data.get("assignee"))) is not None:
            deal["ASSIGNED_BY_ID"] = user
        wanted: dict[str, tuple[int, dict[str, Any]]] = {}
        if data.get("contact_id") is not None:
            wanted["contact"] = (int(data["contact_id"]), person_fields(data))
        if data.get("company_id") is not None:
            wanted["company"] = (int(data["company_id"]), company_fields(data))
        wanted["deal"] = (int(data["deal_id"]), deal)
        remote = await self._create_all_once(wanted)
        made = ", ".join(f"{entity} {remote[entity]}" for entity in wanted)
        return f"{done}, {made}"

    async def _create_all_once(
        self, wanted: Mapping[str, tuple[int, dict[str, Any]]]
    ) -> dict[str, str]:
        """Contact, company and deal (in that order), each found by our id or created: one
        batch looks, one creates; the deal is bound to the other two. Their remote ids."""
        remote: dict[str, str] = {}
        for entity, (local_id, _) in wanted.items():
            if (known := await self._links.get(entity, local_id)) is not None:
                remote[entity] = known
        missing = [entity for entity in wanted if entity not in remote]
        if missing:
            looks = {
                entity: (f"crm.{entity}.list", _by_our_id(wanted[entity][0])) for entity in missing
            }
            found, failed = await self._client.batch(looks)
            _raise_first(failed)
            for entity in missing:
                rows = found.get(entity)
                if isinstance(rows, list) and rows:
                    remote[entity] = str(rows[0]["ID"])
                    await self._links.keep(entity, wanted[entity][0], remote[entity])
        adds: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for entity, (local_id, fields) in wanted.items():
            if entity in remote:
                continue
            fields = {**fields, "ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": str(local_id)}
            if entity == "deal":
                for other, key in (("contact", "CONTACT_ID"), ("company", "COMPANY_ID")):
                    if other in wanted:
                        fields[key] = remote.get(other) or Ref(other)
            adds[entity] = (f"crm.{entity}.add", {"fields": fields})
        if adds:
            created, failed = await self._client.batch(adds)
            for entity in adds:
                if created.get(entity) not in (None, False):
                    remote[entity] = str(created[entity])
                    await self._links.keep(entity, wanted[entity][0], remote[entity])
            _raise_first(failed)
        return remote

    async def _update_deal(self, kind: str, data: Mapping[str, Any]) -> str:
        """A deal created through the connector follows our stage and amount."""
        remote = await self._links.get("deal", int(data["deal_id"]))
        if remote is None:
            return "skipped: the deal is not in Bitrix24"
        stages = self._mapping.get("stages", {})
        stage = stages.get(f"{data.get('pipeline')}:{data.get('stage')}") or stages.get(
            data.get("stage")
        )
        fields: dict[str, Any] = {}
        if stage is None and kind == "deal.won":
            stage = "WON"
        if stage is None and kind == "deal.lost":
            stage = "LOSE"
        if stage is not None:
            fields["STAGE_ID"] = stage
        if data.get("amount") is not None:
            fields["OPPORTUNITY"] = data["amount"]
        if fields:
            await self._client.call("crm.deal.update", {"id": remote, "fields": fields})
        return f"deal {remote}"


def title(data: Mapping[str, Any]) -> str:
    """The record's title: who asked, and through which channel."""
    who = data.get("name") or data.get("phone") or data.get("email") or "Клиент"
    return f"{who} ({data.get('channel') or 'заявка'})"


def company_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The company's title (its name on our side), phone and e-mail as the client gave them."""
    name = str(data.get("company") or "").strip() or f"Компания {data.get('company_id')}"
    fields: dict[str, Any] = {"TITLE": name}
    if data.get("phone"):
        fields["PHONE"] = [{"VALUE": data["phone"], "VALUE_TYPE": "WORK"}]
    if data.get("email"):
        fields["EMAIL"] = [{"VALUE": data["email"], "VALUE_TYPE": "WORK"}]
    return fields


def _by_our_id(local_id: int) -> dict[str, Any]:
    return {"filter": {"ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": str(local_id)}, "select": ["ID"]}


def _raise_first(failed: Mapping[str, str]) -> None:
    """A batch command's error as the connector's failure (the delivery is retried)."""
    for name, error in failed.items():
        raise RemoteFailed(502, f"batch {name}: {error}")


def person_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Name parts, phones and e-mails as Bitrix24 multi-fields."""
    fields: dict[str, Any] = dict(name_parts(str(data.get("name") or "")))
    if data.get("phone"):
        fields["PHONE"] = [{"VALUE": data["phone"], "VALUE_TYPE": "WORK"}]
    if data.get("email"):
        fields["EMAIL"] = [{"VALUE": data["email"], "VALUE_TYPE": "WORK"}]
    return fields


def lead_fields(
    data: Mapping[str, Any], mapping: Mapping[str, Any], status: str | None
) -> dict[str, Any]:
    """A new lead's fields from our lead's event data."""
    fields: dict[str, Any] = {"TITLE": title(data), **person_fields(data)}
    if data.get("comment"):
        fields["COMMENTS"] = data["comment"]
    if mapping.get("source_id"):
        fields["SOURCE_ID"] = mapping["source_id"]
    utm = data.get("utm") or {}
    for key in UTM_KEYS:
        if utm.get(key):
            fields[key.upper()] = utm[key]
    user = mapping.get("users", {}).get(data.get("assignee"))
    if user is not None:
        fields["ASSIGNED_BY_ID"] = user
    if status is not None:
        fields["STATUS_ID"] = status
    return fields


def name_parts(name: str) -> dict[str, str]:
    """NAME, LAST_NAME, SECOND_NAME from a full name ("Фамилия Имя Отчество" when three
    words, "Имя Фамилия" when two, as forms usually ask)."""
    words = name.split()
    if len(words) >= 3:
        return {"LAST_NAME": words[0], "NAME": words[1], "SECOND_NAME": " ".join(words[2:])}
    if len(words) == 2:
        return {"NAME": words[0], "LAST_NAME": words[1]}
    return {"NAME": words[0]} if words else {}
