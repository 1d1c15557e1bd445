"""A person's rows across the schema: found by identifiers and links, exported, anonymised
(the same SQL on both dialects)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.storage.ports.persons import Erasure, PersonQuery, PersonRecords
from crm_core.storage.session import SqlSession, as_datetime, from_json, to_json

ERASED_NAME = "Клиент удалён по запросу"
ERASED_TEXT = "[удалено по запросу]"
TOMBSTONE = to_json({"erased": True})
CANCELLED = "cancelled: the personal data of the recipient was erased"
# Records whose rows link to the person through (entity, entity_id).
ENTITY_TABLES = ("activities", "outgoing_messages", "audit_log", "tasks")
# Consent records (`source`) that take a consent back: an erasure, or a withdrawal. A form
# sent with the consent box unticked is not one (the client may still be answered).
WITHDRAWALS = frozenset({"erasure", "withdrawal"})
# Accounting documents the law makes the company keep (402-FZ, the Tax Code): found and
# exported, never anonymised.
RETAINED = frozenset({"invoices", "payments"})
# Shorter identity values are not looked for in raw payloads: they would match strangers.
MIN_NEEDLE = 5
# Linked leads and contacts are followed this many rounds (joins of joins, merges of merges).
LINK_ROUNDS = 4


class SqlPersonRepository:
    """Person lookups and anonymisation over plain SQL."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def find(self, query: PersonQuery) -> PersonRecords:
        """Every row holding the person's data, linked records included."""
        found = PersonRecords()
        contacts, leads = found.of("contacts"), found.of("leads")
        await self._seed(query, contacts, leads)
        for _ in range(LINK_ROUNDS):
            before = (len(contacts), len(leads))
            leads |= await self._ids_in("leads", "contact_id", contacts)
            leads |= await self._ids_in("leads", "duplicate_of_id", leads)
            leads |= await self._ids_where_in(
                "SELECT duplicate_of_id AS id FROM leads", "id", leads
            )
            contacts |= await self._ids_where_in("SELECT contact_id AS id FROM leads", "id", leads)
            contacts |= await self._ids_in("contacts", "merged_into_id", contacts)
            if (len(contacts), len(leads)) == before:
                break
        deals = found.of("deals")
        deals |= await self._ids_in("deals", "contact_id", contacts)
        deals |= await self._ids_in("deals", "lead_id", leads)
        invoices = found.of("invoices")
        invoices |= await self._ids_in("invoices", "deal_id", deals)
        found.of("payments").update(await self._ids_in("payments", "invoice_id", invoices))
        await self._linked(found, query, scan=True)
        return found

    async def link_to_leads(self, records: PersonRecords) -> None:
        """Add the rows linked to the records' leads (no search of raw payloads)."""
        await self._linked(records, PersonQuery(), scan=False)

    async def _seed(self, query: PersonQuery, contacts: set[int], leads: set[int]) -> None:
        for value in query.phones:
            leads |= await self._ids("SELECT id FROM leads WHERE phone = $1", value)
            contacts |= await self._ids(
                "SELECT id FROM contacts WHERE phone = $1 OR phones LIKE $2",
                value,
                f'%"{value}"%',
            )
        for value in query.emails:
            leads |= await self._ids("SELECT id FROM leads WHERE LOWER(email) = $1", value)
            contacts |= await self._ids(
                "SELECT id FROM contacts WHERE LOWER(email) = $1 OR LOWER(emails) LIKE $2",
                value,
                f'%"{value}"%',
            )
        for key in query.keys:
            for r in await self._s.fetch(
                "SELECT entity, entity_id FROM identity_keys WHERE key = $1", key
            ):
                target = {"contact": contacts, "lead": leads}.get(str(r["entity"]))
                if target is not None:
                    target.add(int(r["entity_id"]))

    async def _linked(self, found: PersonRecords, query: PersonQuery, *, scan: bool) -> None:
        contacts, leads, deals = found.of("contacts"), found.of("leads"), found.of("deals")
        by_entity = {"lead": leads, "contact": contacts, "deal": deals}
        for table in ENTITY_TABLES:
            rows = found.of(table)
            for entity, ids in by_entity.items():
                rows |= await self._ids_in(table, "entity_id", ids, f"entity = '{entity}' AND ")
        calls = found.of("calls")
        calls |= await self._ids_in("calls", "lead_id", leads)
        calls |= await self._ids_in("calls", "entity_id", leads, "entity = 'lead' AND ")
        calls |= await self._ids_in("calls", "entity_id", deals, "entity = 'deal' AND ")
        for value in query.phones:
            calls |= await self._ids(
                "SELECT id FROM calls WHERE caller = $1 OR callee = $1", value
            )
        found.of("consents").update(await self._ids_in("consents", "lead_id", leads))
        inbox = found.of("inbox")
        inbox |= await self._ids_where_in("SELECT inbox_id AS id FROM leads", "id", leads)
        inbox |= await self._ids_in("inbox", "lead_id", leads)
        for needle in query.needles:
            inbox |= await self._inbox_holding(needle)
        found.of("outgoing_attachments").update(
            await self._ids_in(
                "outgoing_attachments",
                "message_id",
                found.of("outgoing_messages"),
                key="message_id",
            )
        )
        found.of("identities").update(
            await self._ids_in("identities", "entity_id", leads, "entity = 'lead' AND ")
            | await self._ids_in("identities", "entity_id", contacts, "entity = 'contact' AND ")
        )
        found.of("notification_outbox").update(
            await self._notifications(leads, query.needles if scan else ())
        )
        if scan and found.of("identities"):
            for r in await self._fetch_in(
                "SELECT DISTINCT value FROM identities WHERE :ids", "id", found.of("identities")
            ):
                if len(str(r["value"])) >= MIN_NEEDLE:
                    inbox |= await self._inbox_holding(str(r["value"]))
        found.of("merges").update(
            await self._ids_in("merges", "survivor_id", contacts, "entity = 'contact' AND ")
            | await self._ids_in("merges", "merged_id", contacts, "entity = 'contact' AND ")
        )
        found.of("lead_joins").update(
            await self._ids_in("lead_joins", "survivor_id", leads)
            | await self._ids_in("lead_joins", "joined_id", leads)
        )
        found.of("manager_bot_cards").update(
            await self._ids_in("manager_bot_cards", "lead_id", leads, key="lead_id")
        )
        found.of("identity_rejections").update(
            await self._ids_in("identity_rejections", "contact_id", contacts, key="contact_id")
        )
        found.of("webhook_deliveries").update(
            await self._deliveries(by_entity, query.needles if scan else ())
        )

    async def _inbox_holding(self, needle: str) -> set[int]:
        """Inbox rows whose raw request mentions the text (a scan: erasures are rare)."""
        return await self._ids(
            "SELECT id FROM inbox WHERE LOWER(CAST(payload AS TEXT)) LIKE $1"
            " OR LOWER(CAST(event AS TEXT)) LIKE $1",
            f"%{needle.lower()}%",
        )

    async def _deliveries(
        self, by_entity: Mapping[str, Collection[int]], needles: Iterable[str]
    ) -> set[int]:
        """Outbound webhook deliveries about the person's records (their ordering key names
        the record) or quoting the person's identifiers."""
        keys = {f"{entity}:{i}" for entity, ids in by_entity.items() for i in ids}
        found: set[int] = set()
        if keys:
            rows = await self._fetch_in(
                "SELECT id FROM webhook_deliveries WHERE :ids", "entity_key", keys
            )
            found |= {int(r["id"]) for r in rows}
        for needle in needles:
            found |= await self._ids(
                "SELECT id FROM webhook_deliveries WHERE LOWER(body) LIKE $1",
                f"%{needle.lower()}%",
            )
        return found

    async def _notifications(self, leads: Collection[int], needles: Iterable[str]) -> set[int]:
        """Managers' notifications about the leads (their payload names the lead) or quoting
        the person's identifiers."""
        found: set[int] = set()
        for lead_id in sorted(leads):
            found |= await self._ids(
                "SELECT id FROM notification_outbox WHERE payload LIKE $1 OR payload LIKE $2",
                f'%"lead_id":{lead_id},%',
                f'%"lead_id":{lead_id}}}%',
            )
        for needle in needles:
            found |= await self._ids(
                "SELECT id FROM notification_outbox WHERE LOWER(payload) LIKE $1",
                f"%{needle.lower()}%",
            )
        return found

    async def rows(self, records: PersonRecords) -> dict[str, list[dict[str, Any]]]:
        """The rows found, by table, as stored (binary columns by their size)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table, ids in sorted(records.ids.items()):
            if not ids:
                continue
            column = _ID_COLUMNS.get(table, "id")
            distinct = "DISTINCT " if column != "id" else ""
            rows = await self._fetch_in(
                f"SELECT {distinct}* FROM {table} WHERE :ids ORDER BY {column}", column, ids
            )
            out[table] = [_plain(dict(r)) for r in rows]
        return out

    async def anonymise(self, records: PersonRecords, now: datetime) -> dict[str, int]:
        """Remove the personal data from every row found; rows changed, by table."""
        counts = {t: n for t, n in records.counts().items() if t not in RETAINED}
        if keys := await self._forget_keys(records):
            counts["identity_keys"] = keys
        for table, sql in _ERASE.items():
            ids = records.ids.get(table)
            if ids:
                column = _ID_COLUMNS.get(table, "id")
                await self._execute_in(sql, column, ids, now)
        await self._withdraw_consents(records.ids.get("leads", set()), now)
        return counts

    async def _forget_keys(self, records: PersonRecords) -> int:
        """Take the records out of the duplicate index; how many keys they were under."""
        removed = 0
        for entity, table in (("lead", "leads"), ("contact", "contacts")):
            ids = sorted(records.ids.get(table, ()))
            if not ids:
                continue
            keys = {
                str(r["key"])
                for r in await self._fetch_in(
                    f"SELECT key FROM identity_keys WHERE entity = '{entity}' AND :ids",
                    "entity_id",
                    ids,
                )
            }
            removed += len(keys)
            counted = await self._fetch_in(
                f"SELECT key, COUNT(*) AS n FROM identity_keys WHERE entity = '{entity}'"
                " AND :ids GROUP BY key",
                "entity_id",
                ids,
            )
            await self._s.executemany(
                "UPDATE identity_key_counts SET n = n - $3 WHERE key = $1 AND entity = $2",
                [(str(r["key"]), entity, int(r["n"])) for r in counted],
            )
            await self._s.execute(
                "UPDATE identity_key_counts SET n = n - $2 WHERE key = '*' AND entity = $1",
                entity,
                len(
                    await self._fetch_in(
                        f"SELECT DISTINCT entity_id FROM identity_keys WHERE entity = '{entity}'"
                        " AND :ids",
                        "entity_id",
                        ids,
                    )
                ),
            )
            await self._execute_in(
                f"DELETE FROM identity_keys WHERE entity = '{entity}' AND :ids", "entity_id", ids
            )
            await self._execute_in(
                f"DELETE FROM identity_key_backlog WHERE entity = '{entity}' AND :ids",
                "entity_id",
                ids,
            )
            # A key is the identifier itself ("p:+79161234567"): once no record holds it, its
            # counter row goes too.
            if keys:
                await self._execute_in(
                    "DELETE FROM identity_key_counts WHERE n <= 0 AND :ids", "key", keys
                )
        return removed

    async def _withdraw_consents(self, lead_ids: Collection[int], now: datetime) -> None:
        """Record the withdrawal on every lead whose last consent record was a given one."""
        for lead_id in sorted(lead_ids):
            last = await self._s.fetchrow(
                "SELECT given FROM consents WHERE lead_id = $1 ORDER BY id DESC LIMIT 1", lead_id
            )
            if last is not None and bool(last["given"]):
                await self._s.execute(
                    "INSERT INTO consents (lead_id, given, text_version, raw_value, source,"
                    " recorded_at) VALUES ($1, FALSE, NULL, NULL, 'erasure', $2)",
                    lead_id,
                    now,
                )

    async def add_erasure(
        self,
        kind: str,
        actor: str,
        reason: str,
        subject: str,
        counts: Mapping[str, int],
        now: datetime,
    ) -> int:
        """Journal an erasure; its id."""
        row = await self._s.fetchrow(
            "INSERT INTO person_erasures (kind, actor, reason, subject, counts, erased_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            kind,
            actor,
            reason,
            subject,
            to_json(dict(counts)),
            now,
        )
        assert row is not None
        return int(row["id"])

    async def get_erasure(self, erasure_id: int) -> Erasure | None:
        """One journaled erasure."""
        r = await self._s.fetchrow(
            "SELECT id, kind, actor, reason, subject, counts, erased_at FROM person_erasures"
            " WHERE id = $1",
            erasure_id,
        )
        if r is None:
            return None
        return Erasure(
            id=int(r["id"]),
            kind=str(r["kind"]),
            actor=str(r["actor"]),
            reason=str(r["reason"]),
            subject=str(r["subject"]),
            counts={str(k): int(v) for k, v in from_json(r["counts"]).items()},
            erased_at=as_datetime(r["erased_at"]),
        )

    async def stale_leads(self, received_before: datetime) -> list[int]:
        """Junk or unconverted leads received before the date, still holding personal data,
        that neither became a deal nor belong to a contact with one."""
        rows = await self._s.fetch(
            "SELECT l.id FROM leads l WHERE l.received_at < $1"
            " AND l.status IN ('new', 'in_work', 'junk') AND l.deal_id IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.lead_id = l.id)"
            " AND (l.contact_id IS NULL OR NOT EXISTS"
            " (SELECT 1 FROM deals d WHERE d.contact_id = l.contact_id))"
            " AND NOT (l.name = $2 AND l.phone IS NULL AND l.email IS NULL)"
            " ORDER BY l.id",
            received_before,
            ERASED_NAME,
        )
        return [int(r["id"]) for r in rows]

    async def withdrawn(self, lead_ids: Collection[int]) -> bool:
        """Whether consent was withdrawn (the last record is a withdrawal) on any lead."""
        if not lead_ids:
            return False
        rows = await self._fetch_in(
            "SELECT c.given, c.source FROM consents c WHERE c.id IN (SELECT MAX(id)"
            " FROM consents WHERE :ids GROUP BY lead_id)",
            "lead_id",
            lead_ids,
        )
        return any(not r["given"] and r["source"] in WITHDRAWALS for r in rows)

    async def _ids(self, sql: str, *args: Any) -> set[int]:
        return {int(r["id"]) for r in await self._s.fetch(sql, *args)}

    async def _ids_in(
        self, table: str, column: str, values: Collection[int], where: str = "", key: str = "id"
    ) -> set[int]:
        if not values:
            return set()
        rows = await self._fetch_in(
            f"SELECT {key} AS id FROM {table} WHERE {where}:ids", column, values
        )
        return {int(r["id"]) for r in rows if r["id"] is not None}

    async def _ids_where_in(self, select: str, column: str, values: Collection[int]) -> set[int]:
        """`select` (one `id` column) over rows whose `id` is among the values."""
        if not values:
            return set()
        rows = await self._fetch_in(f"{select} WHERE :ids", column, values)
        return {int(r["id"]) for r in rows if r["id"] is not None}

    async def _fetch_in(self, sql: str, column: str, values: Iterable[Any]) -> list[Any]:
        items = sorted(values)
        marks = ", ".join(f"${n + 1}" for n in range(len(items)))
        return await self._s.fetch(sql.replace(":ids", f"{column} IN ({marks})"), *items)

    async def _execute_in(
        self, sql: str, column: str, values: Iterable[Any], now: datetime | None = None
    ) -> None:
        """Run `sql` over rows whose column is among the values; `$1` is `now` when given."""
        items = sorted(values)
        timed = now is not None and "$1" in sql
        first = 2 if timed else 1
        marks = ", ".join(f"${n + first}" for n in range(len(items)))
        args = [now, *items] if timed else items
        await self._s.execute(sql.replace(":ids", f"{column} IN ({marks})"), *args)


# Tables whose rows are found by another column than `id`.
_ID_COLUMNS = {
    "outgoing_attachments": "message_id",
    "manager_bot_cards": "lead_id",
    "identity_rejections": "contact_id",
}
_ERASED = f"'{ERASED_NAME}'"
_REDACTED = f"'{ERASED_TEXT}'"
# How each table loses the person's data; `$1`, where used, is the time of the erasure.
_ERASE: dict[str, str] = {
    "contacts": (
        f"UPDATE contacts SET name = {_ERASED}, first_name = NULL, last_name = NULL,"
        " patronymic = NULL, phone = NULL, email = NULL, phones = '[]', emails = '[]',"
        " messenger_ids = '{}', company_name = NULL, external_ref = NULL, updated_at = $1"
        " WHERE :ids"
    ),
    "leads": (
        f"UPDATE leads SET name = {_ERASED}, first_name = NULL, last_name = NULL,"
        " patronymic = NULL, phone = NULL, phone_raw = NULL, phone_extension = NULL,"
        " email = NULL, email_raw = NULL, company = NULL, position = NULL, messenger_ids = '{}',"
        " comment = NULL, page_url = NULL, referrer = NULL, fields = '{}', meta = '{}',"
        " dedupe_explanation = NULL, updated_at = $1 WHERE :ids"
    ),
    "deals": (
        f"UPDATE deals SET title = {_ERASED}, comment = NULL,"
        " fields = '{}', updated_at = $1 WHERE :ids"
    ),
    "activities": f"UPDATE activities SET text = {_REDACTED} WHERE text IS NOT NULL AND :ids",
    "tasks": f"UPDATE tasks SET title = {_REDACTED} WHERE :ids",
    "audit_log": f"UPDATE audit_log SET before = NULL, after = '{TOMBSTONE}' WHERE :ids",
    "outgoing_messages": (
        f"UPDATE outgoing_messages SET address = '', text = {_REDACTED}, reply_context = NULL,"
        " attachments = NULL, platform_message_id = NULL,"
        " state = CASE WHEN state = 'queued' THEN 'failed' ELSE state END,"
        f" last_error = CASE WHEN state = 'queued' THEN '{CANCELLED}' ELSE last_error END,"
        " leased_until = NULL, updated_at = $1 WHERE :ids"
    ),
    "outgoing_attachments": "DELETE FROM outgoing_attachments WHERE :ids",
    "calls": (
        "UPDATE calls SET caller = NULL, callee = NULL, recording_ref = NULL, facts = '[]',"
        " updated_at = $1 WHERE :ids"
    ),
    "consents": "UPDATE consents SET raw_value = NULL WHERE :ids",
    "inbox": (
        f"UPDATE inbox SET payload = '{TOMBSTONE}', headers = '{TOMBSTONE}',"
        f" event = '{TOMBSTONE}', last_error = NULL WHERE :ids"
    ),
    "identities": "DELETE FROM identities WHERE :ids",
    "merges": "UPDATE merges SET survivor_before = '{}', merged_before = '{}' WHERE :ids",
    "lead_joins": "UPDATE lead_joins SET before = '{}' WHERE :ids",
    "manager_bot_cards": f"UPDATE manager_bot_cards SET text = {_REDACTED} WHERE :ids",
    "identity_rejections": "DELETE FROM identity_rejections WHERE :ids",
    # Receivers already given the event keep their copy (the erasure act says so); ours goes,
    # and a delivery not yet made is never made.
    "webhook_deliveries": (
        f"UPDATE webhook_deliveries SET body = '{TOMBSTONE}', response_body = NULL,"
        " status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END,"
        f" last_error = CASE WHEN status = 'pending' THEN '{CANCELLED}' ELSE last_error END,"
        " leased_until = NULL WHERE :ids"
    ),
    "notification_outbox": (
        f"UPDATE notification_outbox SET payload = '{TOMBSTONE}',"
        " status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,"
        f" last_error = CASE WHEN status = 'pending' THEN '{CANCELLED}' ELSE last_error END,"
        " leased_until = NULL WHERE :ids"
    ),
}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready values."""
    out: dict[str, Any] = {}
    for column, value in row.items():
        if isinstance(value, datetime):
            out[column] = value.isoformat()
        elif isinstance(value, Decimal):
            out[column] = str(value)
        elif isinstance(value, bytes | memoryview):
            out[column] = {"bytes": len(value)}
        elif isinstance(value, str) and value[:1] in "[{":
            try:
                out[column] = json.loads(value)
            except ValueError:
                out[column] = value
        else:
            out[column] = value
    return out
