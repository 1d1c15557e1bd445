"""The identity-key index and contact/company records, implementing dedupe's index port."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from crm_core.model import (
    Company,
    Contact,
    Identity,
    MergeEntry,
    PastCompany,
    StoredCompany,
    StoredContact,
)
from crm_core.storage import client_search
from crm_core.storage.session import (
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
)
from dedupe.keys import REJECTIONS_KEY, TOTAL_KEY, Entity, KeyKind, messenger_of
from dedupe.ports import Candidates, IndexedContact, candidates_by_steps
from dedupe.profile import Profile, RawIdentity, build_profile

# PostgreSQL: up to this many rows go in one multi-row INSERT (one round trip); more by COPY,
# which costs a few round trips of its own but wins on bulk loads.
SMALL_BATCH = 100

CHUNK = 500
CONTACT_INSERT_COLUMNS = (
    "id",
    "name",
    "phone",
    "email",
    "phones",
    "emails",
    "company_id",
    "company_name",
    "owner_id",
    "external_ref",
    "created_at",
    "updated_at",
)
COMPANY_INSERT_COLUMNS = (
    "id",
    "name",
    "inn",
    "phones",
    "emails",
    "website",
    "owner_id",
    "external_ref",
    "created_at",
    "updated_at",
)


class SqlIdentityRepository:
    """Contacts, companies and their identity keys with frequency counts."""

    def __init__(self, session: SqlSession, region: str = "RU") -> None:
        self._s = session
        self._region = region

    async def add_contacts(self, contacts: Sequence[StoredContact], now: datetime) -> list[int]:
        """Insert contacts; returns their ids in order."""
        ids = await self._allocate("contacts", len(contacts))
        # Plain appends with ids we allocated: COPY on PostgreSQL (which, like OVERRIDING
        # SYSTEM VALUE, keeps the given identity values), executemany on SQLite.
        await self._s.insert_rows(
            "contacts",
            CONTACT_INSERT_COLUMNS,
            [
                (
                    i,
                    c.name,
                    c.phones[0] if c.phones else None,
                    c.emails[0] if c.emails else None,
                    to_json(list(c.phones)),
                    to_json(list(c.emails)),
                    c.company_id,
                    c.company_name,
                    c.owner_id,
                    c.external_ref,
                    now,
                    now,
                )
                for i, c in zip(ids, contacts, strict=True)
            ],
        )
        await self._add_identities([(i, c.identities) for i, c in zip(ids, contacts, strict=True)])
        return ids

    async def _add_identities(
        self, owned: Sequence[tuple[int, Sequence[Identity]]], entity: Entity = Entity.CONTACT
    ) -> None:
        rows = [
            (entity.value, entity_id, i.kind, i.value)
            for entity_id, identities in owned
            for i in identities
        ]
        if not rows:
            return
        if self._s.dialect == "postgres" and len(rows) <= SMALL_BATCH:
            await self._insert_values("identities (entity, entity_id, kind, value)", rows, "")
        else:
            await self._s.insert_rows("identities", ("entity", "entity_id", "kind", "value"), rows)

    async def _identities(
        self, entity_ids: Collection[int], entity: Entity = Entity.CONTACT
    ) -> dict[int, tuple[Identity, ...]]:
        """Each record's identities in the order they were added."""
        rows = await self._fetch_in(
            f"SELECT entity_id, kind, value FROM identities WHERE entity = '{entity.value}'"
            " AND entity_id IN ({marks}) ORDER BY id",
            entity_ids,
        )
        found: dict[int, list[Identity]] = {}
        for r in rows:
            found.setdefault(int(r["entity_id"]), []).append(Identity(r["kind"], r["value"]))
        return {entity_id: tuple(values) for entity_id, values in found.items()}

    async def _replace_identities(self, contact: Contact) -> None:
        current = (await self._identities([contact.id])).get(contact.id, ())
        if current == contact.identities:
            return
        await self._s.execute(
            "DELETE FROM identities WHERE entity = $1 AND entity_id = $2",
            Entity.CONTACT.value,
            contact.id,
        )
        await self._add_identities([(contact.id, contact.identities)])

    async def add_companies(self, companies: Sequence[StoredCompany], now: datetime) -> list[int]:
        """Insert companies; returns their ids in order."""
        ids = await self._allocate("companies", len(companies))
        await self._s.insert_rows(
            "companies",
            COMPANY_INSERT_COLUMNS,
            [
                (
                    i,
                    c.name,
                    c.inn,
                    to_json(list(c.phones)),
                    to_json(list(c.emails)),
                    c.website,
                    c.owner_id,
                    c.external_ref,
                    now,
                    now,
                )
                for i, c in zip(ids, companies, strict=True)
            ],
        )
        return ids

    async def _allocate(self, table: str, count: int) -> list[int]:
        if count == 0:
            return []
        if self._s.dialect == "postgres":
            rows = await self._s.fetch(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id"
                " FROM generate_series(1, $1)",
                count,
            )
            return [int(r["id"]) for r in rows]
        # SQLite: we hold the only write lock, so the next ids are ours.
        row = await self._s.fetchrow(f"SELECT COALESCE(MAX(id), 0) AS top FROM {table}")
        top = int(row["top"]) if row else 0
        return list(range(top + 1, top + 1 + count))

    async def index(
        self,
        entity: Entity,
        keyed: Iterable[tuple[int, Collection[str]]],
        *,
        new_records: bool = False,
    ) -> None:
        """Add records' keys and bump the counts of the keys they did not have yet.

        `new_records=True` (records just inserted) skips looking for keys they already have.
        """
        if new_records:
            rows, indexed = _new_key_rows(entity, keyed)
            counts: Counter[str] = Counter(map(itemgetter(0), rows))
            if indexed:
                counts[TOTAL_KEY] += indexed
        else:
            rows, counts = await self._fresh_key_rows(entity, keyed)
        if not counts:
            return
        if self._s.dialect == "postgres" and len(rows) <= SMALL_BATCH:
            await self._insert_values("identity_keys (key, entity, entity_id)", rows, "")
        else:
            await self._s.insert_rows("identity_keys", ("key", "entity", "entity_id"), rows)
        await self._add_counts(entity, sorted(counts.items()))

    async def _fresh_key_rows(
        self, entity: Entity, keyed: Iterable[tuple[int, Collection[str]]]
    ) -> tuple[list[tuple[str, str, int]], Counter[str]]:
        """Key rows records do not have yet, in key order, and the count deltas they make."""
        wanted = {(entity_id, k) for entity_id, keys in keyed for k in keys}
        ids = {entity_id for entity_id, _ in wanted}
        if not ids:
            return [], Counter()
        existing = await self._fetch_in(
            f"SELECT entity_id, key FROM identity_keys WHERE entity = '{entity.value}'"
            " AND entity_id IN ({marks})",
            ids,
        )
        fresh = wanted - {(int(r["entity_id"]), r["key"]) for r in existing}
        counts: Counter[str] = Counter(k for _, k in fresh)
        unindexed = ids - {int(r["entity_id"]) for r in existing}
        if unindexed:
            counts[TOTAL_KEY] += len(unindexed)
        value = entity.value
        # In key order: B-tree inserts stay local, which matters at millions of keys.
        rows = [(k, value, entity_id) for entity_id, k in fresh]
        rows.sort(key=itemgetter(0))
        return rows, counts

    async def stage(self, entity: Entity, keyed: Iterable[tuple[int, Collection[str]]]) -> None:
        """Put records just inserted into the bulk-load backlog: not found until merge_staged.

        An append to a table without indexes; merge_staged later inserts the whole load's
        keys in key order, so each index page is written about once instead of at every
        transaction.
        """
        rows, _ = _new_key_rows(entity, keyed, ordered=False)
        if rows:
            await self._s.insert_rows("identity_key_backlog", ("key", "entity", "entity_id"), rows)

    async def merge_staged(self) -> None:
        """Index every record in the backlog (as index(new_records=True) would) and empty it."""
        upsert = " ON CONFLICT (key, entity) DO UPDATE SET n = identity_key_counts.n + excluded.n"
        # Keys go in in key order, so the primary key grows page by page; the index by record
        # would take them in random order, so when the backlog is large beside the index
        # (more keys than the index has records: a base load) it is built afresh after them.
        backlog = await self._s.fetchrow("SELECT COUNT(*) AS n FROM identity_key_backlog")
        indexed = await self._s.fetchrow(
            "SELECT COALESCE(SUM(n), 0) AS n FROM identity_key_counts WHERE key = $1", TOTAL_KEY
        )
        rebuild = int(backlog["n"] if backlog else 0) > int(indexed["n"] if indexed else 0)
        if self._s.dialect == "postgres":
            # The sorts below are of the whole load: in memory rather than in 4 MB runs on disk.
            await self._s.execute("SET LOCAL work_mem = '256MB'")
            await self._s.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # PostgreSQL also builds the primary key afresh: sorted once by CREATE INDEX rather
        # than entered key by key, each entry WAL-logged (a tenth of the merge).
        rebuild_key = rebuild and self._s.dialect == "postgres"
        # No counts yet (a first load): each (key, entity) group is new, so a plain insert
        # does what the upsert would without probing for a conflict row by row, and
        # PostgreSQL builds the counts' primary key afterwards as it does identity_keys'.
        fresh_counts = rebuild and not await self._s.fetchrow(
            "SELECT 1 AS one FROM identity_key_counts LIMIT 1"
        )
        rebuild_counts_key = fresh_counts and self._s.dialect == "postgres"
        if fresh_counts:
            upsert = ""
        if rebuild:
            await self._s.execute("DROP INDEX identity_keys_owner")
        if rebuild_key:
            await self._s.execute("ALTER TABLE identity_keys DROP CONSTRAINT identity_keys_pkey")
        if rebuild_counts_key:
            await self._s.execute(
                "ALTER TABLE identity_key_counts DROP CONSTRAINT identity_key_counts_pkey"
            )
        await self._s.execute_bulk(
            "INSERT INTO identity_keys (key, entity, entity_id)"
            " SELECT key, entity, entity_id FROM identity_key_backlog"
            " ORDER BY key, entity, entity_id"
        )
        # WHERE TRUE: SQLite needs a WHERE before an upsert's ON CONFLICT after a SELECT.
        await self._s.execute_bulk(
            "INSERT INTO identity_key_counts (key, entity, n)"
            " SELECT key, entity, COUNT(*) FROM identity_key_backlog WHERE TRUE"
            f" GROUP BY key, entity ORDER BY key, entity{upsert}"
        )
        await self._s.execute_bulk(
            "INSERT INTO identity_key_counts (key, entity, n)"
            f" SELECT '{TOTAL_KEY}', entity, COUNT(DISTINCT entity_id) FROM identity_key_backlog"
            f" WHERE TRUE GROUP BY entity{upsert}"
        )
        if rebuild_key:
            # As created by migration 0002 (under the name PostgreSQL gave it).
            await self._s.execute_bulk(
                "ALTER TABLE identity_keys ADD CONSTRAINT identity_keys_pkey"
                " PRIMARY KEY (key, entity, entity_id)"
            )
        if rebuild_counts_key:
            # As created by migration 0002 (under the name PostgreSQL gave it).
            await self._s.execute_bulk(
                "ALTER TABLE identity_key_counts ADD CONSTRAINT identity_key_counts_pkey"
                " PRIMARY KEY (key, entity)"
            )
        if rebuild:
            # As created by migration 0002.
            await self._s.execute_bulk(
                "CREATE INDEX identity_keys_owner ON identity_keys (entity, entity_id)"
            )
        await self._s.execute(
            "TRUNCATE identity_key_backlog"
            if self._s.dialect == "postgres"
            else "DELETE FROM identity_key_backlog"
        )
        if self._s.dialect == "postgres":
            # Fresh statistics: planned on those of a far smaller index, a detector lookup's
            # cost passed the JIT threshold and every lookup paid 45 ms or more of compiling.
            await self._s.execute_bulk("ANALYZE identity_keys, identity_key_counts")

    async def _insert_values(self, into: str, rows: list[tuple[Any, ...]], suffix: str) -> None:
        """One multi-row INSERT: a single round trip where COPY would take several."""
        width = len(rows[0])
        marks = ", ".join(
            "(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")"
            for r in range(len(rows))
        )
        await self._s.execute(
            f"INSERT INTO {into} VALUES {marks}{suffix}", *(v for row in rows for v in row)
        )

    async def _add_counts(self, entity: Entity, deltas: list[tuple[str, int]]) -> None:
        upsert = " ON CONFLICT (key, entity) DO UPDATE SET n = identity_key_counts.n + excluded.n"
        if self._s.dialect == "postgres" and len(deltas) <= SMALL_BATCH:
            # Keys are unique here (a Counter's), as one INSERT ... ON CONFLICT requires.
            rows = [(k, entity.value, n) for k, n in deltas]
            await self._insert_values("identity_key_counts (key, entity, n)", rows, upsert)
            return
        value = entity.value
        if self._s.dialect != "postgres":
            await self._s.executemany(
                f"INSERT INTO identity_key_counts (key, entity, n) VALUES ($1, $2, $3){upsert}",
                [(k, value, n) for k, n in deltas],
            )
            return
        # PostgreSQL: COPY the deltas into a per-transaction scratch table, upsert them at once.
        await self._s.execute(
            "CREATE TEMP TABLE IF NOT EXISTS identity_count_deltas"
            " (key TEXT, entity TEXT, n INTEGER) ON COMMIT DELETE ROWS"
        )
        await self._s.insert_rows(
            "identity_count_deltas",
            ("key", "entity", "n"),
            [(k, value, n) for k, n in deltas],
        )
        await self._s.execute(
            "INSERT INTO identity_key_counts (key, entity, n)"
            f" SELECT key, entity, n FROM identity_count_deltas{upsert}"
        )
        await self._s.execute("DELETE FROM identity_count_deltas")

    async def unindex(self, entity: Entity, entity_ids: Collection[int]) -> None:
        """Remove records' keys and lower the keys' counts."""
        if not entity_ids:
            return
        ids = list(entity_ids)
        marks = ", ".join(f"${n + 2}" for n in range(len(ids)))
        rows = await self._s.fetch(
            f"SELECT entity_id, key FROM identity_keys WHERE entity = $1"
            f" AND entity_id IN ({marks})",
            entity.value,
            *ids,
        )
        counts = Counter(r["key"] for r in rows)
        if not counts:
            return
        counts[TOTAL_KEY] += len({int(r["entity_id"]) for r in rows})
        await self._s.execute(
            f"DELETE FROM identity_keys WHERE entity = $1 AND entity_id IN ({marks})",
            entity.value,
            *ids,
        )
        await self._s.executemany(
            "UPDATE identity_key_counts SET n = n - $3 WHERE key = $1 AND entity = $2",
            [(k, entity.value, n) for k, n in counts.items()],
        )

    async def keys_of(self, entity: Entity, entity_ids: Collection[int]) -> dict[int, set[str]]:
        """The keys each record is indexed under (records with none are left out)."""
        rows = await self._fetch_in(
            f"SELECT entity_id, key FROM identity_keys WHERE entity = '{entity.value}'"
            " AND entity_id IN ({marks})",
            entity_ids,
        )
        found: dict[int, set[str]] = {}
        for r in rows:
            found.setdefault(int(r["entity_id"]), set()).add(r["key"])
        return found

    async def key_counts(self, keys: Collection[str]) -> dict[tuple[str, Entity], int]:
        """How many records of each entity carry each key."""
        rows = await self._fetch_in(
            "SELECT key, entity, n FROM identity_key_counts WHERE key IN ({marks}) AND n > 0", keys
        )
        return {(r["key"], Entity(r["entity"])): int(r["n"]) for r in rows}

    async def lookup(
        self, caps: Mapping[str, int]
    ) -> tuple[dict[tuple[str, Entity], int], list[tuple[str, Entity, int]]]:
        """Counts of the keys, and the records of each (key, entity) counted within its cap.

        One round trip per lookup (per 250 keys on SQLite) instead of counts then records.
        """
        if self._s.dialect == "postgres":
            return await self._lookup_in_one_step(caps)
        counts: dict[tuple[str, Entity], int] = {}
        records: list[tuple[str, Entity, int]] = []
        for sql, args in self._lookup_statements(list(caps.items())):
            for r in await self._s.fetch(sql, *args):
                entity = Entity(r["entity"])
                counts[(r["key"], entity)] = int(r["n"])
                if r["entity_id"] is not None:
                    records.append((r["key"], entity, int(r["entity_id"])))
        return counts, records

    async def _lookup_in_one_step(
        self, caps: Mapping[str, int]
    ) -> tuple[dict[tuple[str, Entity], int], list[tuple[str, Entity, int]]]:
        # PostgreSQL: a join of the wanted keys with the counts got a generic hash-join plan
        # (50 ms). Here each key probes the counts and then, within its cap, the records by
        # index: the OFFSET 0 fences keep the lateral subqueries from being flattened into a
        # join the planner could hash, so the plan stays nested index lookups in one round trip.
        keys = list(caps)
        rows = await self._s.fetch_tuples(
            "SELECT w.key, c.entity, c.n, k.entity_id"
            " FROM unnest($1::text[], $2::int[]) AS w (key, cap)"
            " CROSS JOIN LATERAL (SELECT entity, n FROM identity_key_counts"
            " WHERE key = w.key AND n > 0 OFFSET 0) c"
            " LEFT JOIN LATERAL (SELECT entity_id FROM identity_keys"
            " WHERE key = w.key AND entity = c.entity AND c.n <= w.cap OFFSET 0) k ON TRUE",
            keys,
            [caps[k] for k in keys],
        )
        counts: dict[tuple[str, Entity], int] = {}
        records: list[tuple[str, Entity, int]] = []
        for stored, entity_value, n, entity_id in rows:
            entity = Entity(entity_value)
            counts[(stored, entity)] = int(n)
            if entity_id is not None:
                records.append((stored, entity, int(entity_id)))
        return counts, records

    def _lookup_statements(self, items: list[tuple[str, int]]) -> Iterable[tuple[str, list[Any]]]:
        join = (
            " JOIN identity_key_counts c ON c.key = w.key AND c.n > 0"
            " LEFT JOIN identity_keys k ON k.key = c.key AND k.entity = c.entity AND c.n <= w.cap"
        )
        for start in range(0, len(items), CHUNK // 2):
            chunk = items[start : start + CHUNK // 2]
            wanted = ", ".join(
                f"(CAST(${2 * n + 1} AS TEXT), CAST(${2 * n + 2} AS INTEGER))"
                for n in range(len(chunk))
            )
            args = [v for pair in chunk for v in pair]
            yield (
                f"WITH wanted (key, cap) AS (VALUES {wanted})"
                f" SELECT c.key, c.entity, c.n, k.entity_id FROM wanted w{join}",
                args,
            )

    async def candidates(
        self, caps: Mapping[str, int], rejection_keys: Collection[str]
    ) -> Candidates:
        """The lookup, the records it found and the rejections among them.

        PostgreSQL: one statement, one round trip (a lookup used to take three to five, each
        costing a network wait and a plan); SQLite runs in process, so the plain calls cost
        no more than one compound query would.
        """
        if self._s.dialect != "postgres":
            return await candidates_by_steps(self, caps, rejection_keys)
        keys = list(caps)
        rows = await self._s.fetch_tuples(
            CANDIDATES_SQL, keys, [caps[k] for k in keys], list(rejection_keys)
        )
        counts: dict[tuple[str, Entity], int] = {}
        records: list[tuple[str, Entity, int]] = []
        contacts: dict[int, IndexedContact] = {}
        companies: dict[int, Profile] = {}
        leads: dict[int, Profile] = {}
        rejected: set[int] = set()
        for (
            part,
            stored,
            entity_value,
            n,
            record,
            name,
            phones,
            emails,
            extra,
            kinds,
            values,
        ) in rows:
            if part == "k":
                entity = Entity(entity_value)
                counts[(stored, entity)] = int(n)
                if record is not None:
                    records.append((stored, entity, int(record)))
            elif part == "c":
                identities = [Identity(k, v) for k, v in zip(kinds, values, strict=True)]
                row = {"name": name, "phones": phones, "emails": emails, "company_name": extra}
                profile = self._contact_profile(row, identities)
                contacts[int(record)] = IndexedContact(int(record), profile, n)
            elif part == "f":
                companies[int(record)] = self._company_profile(name, stored, phones, emails, extra)
            elif part == "l":
                leads[int(record)] = self._lead_profile(name, extra, kinds)
            else:
                rejected.add(int(record))
        return Candidates(counts, records, contacts, companies, leads, rejected)

    async def find(self, keys: Collection[str]) -> list[tuple[str, Entity, int]]:
        """(key, entity, id) for every record carrying one of the keys."""
        rows = await self._fetch_in(
            "SELECT key, entity, entity_id FROM identity_keys WHERE key IN ({marks})", keys
        )
        return [(r["key"], Entity(r["entity"]), int(r["entity_id"])) for r in rows]

    async def contacts(self, ids: Collection[int]) -> dict[int, IndexedContact]:
        """Profiles of contacts by id."""
        if self._s.dialect == "postgres":
            return await self._contacts_with_identities(ids)
        rows = await self._fetch_in(
            "SELECT id, name, phones, emails, company_id, company_name FROM contacts"
            " WHERE id IN ({marks})",
            ids,
        )
        identities = await self._identities([int(r["id"]) for r in rows])
        return {
            int(r["id"]): IndexedContact(
                int(r["id"]),
                self._contact_profile(r, identities.get(int(r["id"]), ())),
                r["company_id"],
            )
            for r in rows
        }

    async def _contacts_with_identities(self, ids: Collection[int]) -> dict[int, IndexedContact]:
        """PostgreSQL: the contacts and their messenger identities in one round trip."""
        rows = await self._s.fetch(
            "SELECT c.id, c.name, c.phones, c.emails, c.company_id, c.company_name,"
            " ARRAY(SELECT i.kind FROM identities i WHERE i.entity = 'contact'"
            " AND i.entity_id = c.id ORDER BY i.id) AS kinds,"
            " ARRAY(SELECT i.value FROM identities i WHERE i.entity = 'contact'"
            " AND i.entity_id = c.id ORDER BY i.id) AS identity_values"
            " FROM contacts c WHERE c.id = ANY($1::bigint[])",
            list(ids),
        )
        return {
            int(r["id"]): IndexedContact(
                int(r["id"]),
                self._contact_profile(
                    r,
                    [
                        Identity(kind, value)
                        for kind, value in zip(r["kinds"], r["identity_values"], strict=True)
                    ],
                ),
                r["company_id"],
            )
            for r in rows
        }

    def _contact_profile(self, r: Row, identities: Sequence[Identity]) -> Profile:
        return build_profile(
            RawIdentity(
                name=r["name"],
                phones=tuple(from_json(r["phones"])),
                emails=tuple(from_json(r["emails"])),
                company=r["company_name"],
                messengers=tuple((i.kind, i.value) for i in identities),
            ),
            self._region,
            stored=True,
        )

    async def open_leads(self, ids: Collection[int]) -> dict[int, Profile]:
        """Profiles of open leads (new or in work, not linked to a contact) by id.

        Identifiers come from the lead's index keys, which include those learned from later
        messages attached to it.
        """
        rows = await self._fetch_in(
            "SELECT id, name, company FROM leads WHERE id IN ({marks}) AND contact_id IS NULL"
            " AND status IN ('new', 'in_work')",
            ids,
        )
        key_rows = await self._fetch_in(
            "SELECT entity_id, key FROM identity_keys WHERE entity = 'lead'"
            " AND entity_id IN ({marks})",
            [int(r["id"]) for r in rows],
        )
        keys: dict[int, list[str]] = {}
        for kr in key_rows:
            keys.setdefault(int(kr["entity_id"]), []).append(kr["key"])
        return {
            int(r["id"]): self._lead_profile(r["name"], r["company"], keys.get(int(r["id"]), ()))
            for r in rows
        }

    def _lead_profile(self, name: str | None, company: str | None, keys: Iterable[str]) -> Profile:
        """An open lead's profile from its name, company and index keys."""
        by_kind: dict[str, list[str]] = {}
        messengers: list[tuple[str, str]] = []
        for stored in keys:
            kind, _, value = stored.partition(":")
            by_kind.setdefault(kind, []).append(value)
            messenger = messenger_of(stored)
            if messenger is not None:
                messengers.append(messenger)
        return build_profile(
            RawIdentity(
                name=name,
                phones=tuple(by_kind.get(KeyKind.PHONE.value, ())),
                emails=tuple(by_kind.get(KeyKind.EMAIL.value, ())),
                company=company,
                messengers=tuple(messengers),
            ),
            self._region,
            stored=True,
        )

    async def companies(self, ids: Collection[int]) -> dict[int, Profile]:
        """Profiles of companies by id."""
        rows = await self._fetch_in(
            "SELECT id, name, inn, phones, emails, website FROM companies WHERE id IN ({marks})",
            ids,
        )
        return {
            int(r["id"]): self._company_profile(
                r["name"], r["inn"], r["phones"], r["emails"], r["website"]
            )
            for r in rows
        }

    def _company_profile(
        self, name: str, inn: str | None, phones: str, emails: str, website: str | None
    ) -> Profile:
        """A company's profile from its stored columns (phones and e-mails as JSON text)."""
        return build_profile(
            RawIdentity(
                company=name,
                inn=inn,
                phones=tuple(from_json(phones)),
                emails=tuple(from_json(emails)),
                website=website,
            ),
            self._region,
            stored=True,
        )

    async def _fetch_in(self, sql: str, values: Collection[Any]) -> list[Row]:
        """Run `sql` (with `{marks}` for the IN list) over the values in chunks."""
        rows: list[Row] = []
        for chunk in _chunks(list(values)):
            rows += await self._s.fetch(sql.format(marks=_marks(len(chunk))), *chunk)
        return rows

    async def contacts_total(self) -> int:
        """How many contacts are indexed."""
        row = await self._s.fetchrow(
            "SELECT n FROM identity_key_counts WHERE key = $1 AND entity = $2",
            TOTAL_KEY,
            Entity.CONTACT.value,
        )
        return int(row["n"]) if row else 0

    async def get_contact(self, contact_id: int) -> Contact | None:
        """One contact by id (merged ones included, see merged_into_id)."""
        row = await self._s.fetchrow(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1", contact_id
        )
        if row is None:
            return None
        identities = await self._identities([contact_id])
        return _contact(row, identities.get(contact_id, ()))

    async def update_contact(self, contact: Contact, now: datetime) -> None:
        """Write every field of a contact (the index is maintained by the caller)."""
        await self._s.execute(
            "UPDATE contacts SET name = $2, phone = $3, email = $4, phones = $5, emails = $6,"
            " company_id = $7, company_name = $8, owner_id = $9, merged_into_id = $10,"
            " updated_at = $11 WHERE id = $1",
            contact.id,
            contact.name,
            contact.phones[0] if contact.phones else None,
            contact.emails[0] if contact.emails else None,
            to_json(list(contact.phones)),
            to_json(list(contact.emails)),
            contact.company_id,
            contact.company_name,
            contact.owner_id,
            contact.merged_into_id,
            now,
        )
        await self._replace_identities(contact)

    async def add_merge(
        self,
        entity: Entity,
        survivor: dict[str, Any],
        merged: dict[str, Any],
        moved: dict[str, list[int]],
        actor: str,
        now: datetime,
    ) -> int:
        """Journal a merge with both records as they were before it; returns its id."""
        row = await self._s.fetchrow(
            "INSERT INTO merges (entity, survivor_id, merged_id, actor, survivor_before,"
            " merged_before, moved, merged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " RETURNING id",
            entity.value,
            survivor["id"],
            merged["id"],
            actor,
            to_json(survivor),
            to_json(merged),
            to_json(moved),
            now,
        )
        assert row is not None
        return int(row["id"])

    async def get_merge(self, merge_id: int) -> MergeEntry | None:
        """One journal entry."""
        r = await self._s.fetchrow("SELECT * FROM merges WHERE id = $1", merge_id)
        if r is None:
            return None
        return MergeEntry(
            id=int(r["id"]),
            entity=r["entity"],
            survivor_id=int(r["survivor_id"]),
            merged_id=int(r["merged_id"]),
            actor=r["actor"],
            survivor_before=from_json(r["survivor_before"]),
            merged_before=from_json(r["merged_before"]),
            moved=from_json(r["moved"]),
            merged_at=as_datetime(r["merged_at"]),
            undone_at=as_optional_datetime(r["undone_at"]),
        )

    async def mark_merge_undone(self, merge_id: int, actor: str, now: datetime) -> None:
        """Close a journal entry."""
        await self._s.execute(
            "UPDATE merges SET undone_at = $2, undone_by = $3 WHERE id = $1", merge_id, now, actor
        )

    async def get_company(self, company_id: int) -> Company | None:
        """One company by id (merged ones included, see merged_into_id)."""
        r = await self._s.fetchrow(
            "SELECT id, name, inn, phones, emails, website, owner_id, merged_into_id"
            " FROM companies WHERE id = $1",
            company_id,
        )
        if r is None:
            return None
        return Company(
            id=int(r["id"]),
            name=r["name"],
            inn=r["inn"],
            phones=tuple(from_json(r["phones"])),
            emails=tuple(from_json(r["emails"])),
            website=r["website"],
            owner_id=r["owner_id"],
            merged_into_id=r["merged_into_id"],
        )

    async def update_company(self, company: Company, now: datetime) -> None:
        """Write every field of a company (the index is maintained by the caller)."""
        await self._s.execute(
            "UPDATE companies SET name = $2, inn = $3, phones = $4, emails = $5, website = $6,"
            " owner_id = $7, merged_into_id = $8, updated_at = $9 WHERE id = $1",
            company.id,
            company.name,
            company.inn,
            to_json(list(company.phones)),
            to_json(list(company.emails)),
            company.website,
            company.owner_id,
            company.merged_into_id,
            now,
        )

    async def move_company_refs(
        self, from_company: int, to_company: int, now: datetime
    ) -> dict[str, list[int]]:
        """Re-point contacts and leads from one company to another; returns what moved."""
        moved: dict[str, list[int]] = {}
        for table in ("contacts", "leads"):
            rows = await self._s.fetch(
                f"SELECT id FROM {table} WHERE company_id = $1", from_company
            )
            moved[table] = [int(r["id"]) for r in rows]
        await self.set_company(moved, to_company, now)
        return moved

    async def set_company(
        self, records: dict[str, list[int]], company_id: int, now: datetime
    ) -> None:
        """Point contacts and leads ({"contacts": [...], "leads": [...]}) at a company."""
        for table in ("contacts", "leads"):
            ids = records.get(table, [])
            if ids:
                await self._s.execute(
                    f"UPDATE {table} SET company_id = $1, updated_at = $2"
                    f" WHERE id IN ({_marks(len(ids), 3)})",
                    company_id,
                    now,
                    *ids,
                )

    async def move_leads(self, from_contact: int, to_contact: int, now: datetime) -> list[int]:
        """Re-point leads from one contact to another; returns the leads moved."""
        rows = await self._s.fetch("SELECT id FROM leads WHERE contact_id = $1", from_contact)
        ids = [int(r["id"]) for r in rows]
        await self.set_leads_contact(ids, to_contact, now)
        return ids

    async def set_leads_contact(
        self, lead_ids: Sequence[int], contact_id: int, now: datetime
    ) -> None:
        """Point leads at a contact."""
        if lead_ids:
            await self._s.execute(
                f"UPDATE leads SET contact_id = $1, updated_at = $2"
                f" WHERE id IN ({_marks(len(lead_ids), 3)})",
                contact_id,
                now,
                *lead_ids,
            )

    async def search_contacts(
        self, keys: Collection[str], name_patterns: Sequence[str], limit: int
    ) -> list[Contact]:
        """Unmerged contacts indexed under any of the keys or named LIKE a pattern, newest
        first."""
        rows = await client_search.contact_rows(self._s, keys, name_patterns, limit)
        identities = await self._identities([int(r["id"]) for r in rows])
        return [_contact(r, identities.get(int(r["id"]), ())) for r in rows]

    async def company_contacts(self, company_id: int, limit: int) -> list[Contact]:
        """Unmerged contacts of one company, newest first."""
        rows = await client_search.company_contact_rows(self._s, company_id, limit)
        identities = await self._identities([int(r["id"]) for r in rows])
        return [_contact(r, identities.get(int(r["id"]), ())) for r in rows]

    async def search_companies(
        self, keys: Collection[str], name_patterns: Sequence[str], inn: str | None, limit: int
    ) -> list[Company]:
        """Unmerged companies indexed under any of the keys, with the INN or named LIKE a
        pattern, newest first."""
        return await client_search.companies(self._s, keys, name_patterns, inn, limit)

    async def contact_owner(self, contact_id: int) -> int | None:
        """The manager responsible for a contact, if any."""
        row = await self._s.fetchrow("SELECT owner_id FROM contacts WHERE id = $1", contact_id)
        return int(row["owner_id"]) if row and row["owner_id"] is not None else None

    async def reject(
        self,
        contact_id: int,
        keys: Collection[str],
        now: datetime,
        manager_id: int | None = None,
        lead_id: int | None = None,
    ) -> None:
        """Remember team-wide that the person behind these keys is not this contact."""
        await self._s.executemany(
            "INSERT INTO identity_rejections (contact_id, key, manager_id, lead_id, created_at)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [(contact_id, k, manager_id, lead_id, now) for k in keys],
        )
        await self._s.execute(
            "INSERT INTO identity_key_counts (key, entity, n) VALUES ($1, $2, 1)"
            " ON CONFLICT (key, entity) DO UPDATE SET n = identity_key_counts.n + 1",
            REJECTIONS_KEY,
            Entity.CONTACT.value,
        )

    async def rejected(self, contact_ids: Collection[int], keys: Collection[str]) -> set[int]:
        """Contacts a manager said are not the person behind any of these keys."""
        if not contact_ids or not keys:
            return set()
        ids, key_list = list(contact_ids), list(keys)
        rows = await self._s.fetch(
            f"SELECT DISTINCT contact_id FROM identity_rejections"
            f" WHERE contact_id IN ({_marks(len(ids))})"
            f" AND key IN ({_marks(len(key_list), len(ids) + 1)})",
            *ids,
            *key_list,
        )
        return {int(r["contact_id"]) for r in rows}

    async def add_past_company(self, contact_id: int, past: PastCompany, now: datetime) -> None:
        """Keep a company the contact left in its history."""
        await self._s.execute(
            "INSERT INTO contact_companies (contact_id, company_id, company_name, until,"
            " lead_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            contact_id,
            past.company_id,
            past.name,
            past.until,
            past.lead_id,
            now,
        )

    async def remove_past_company(self, contact_id: int, lead_id: int) -> None:
        """Forget the history entry a lead's job change wrote (the change is undone)."""
        await self._s.execute(
            "DELETE FROM contact_companies WHERE contact_id = $1 AND lead_id = $2",
            contact_id,
            lead_id,
        )

    async def past_companies(self, contact_id: int) -> list[PastCompany]:
        """The companies a contact left, the latest first (names as the companies read now)."""
        rows = await self._s.fetch(
            "SELECT h.company_id, COALESCE(c.name, h.company_name) AS name, h.until, h.lead_id"
            " FROM contact_companies h LEFT JOIN companies c ON c.id = h.company_id"
            " WHERE h.contact_id = $1 ORDER BY h.until DESC, h.id DESC",
            contact_id,
        )
        return [
            PastCompany(
                company_id=r["company_id"],
                name=r["name"],
                until=as_datetime(r["until"]),
                lead_id=r["lead_id"],
            )
            for r in rows
        ]

    async def ids_after(self, entity: Entity, after: int, limit: int) -> list[int]:
        """Ids above `after`, ascending: unmerged contacts or companies, indexed open leads
        (how a re-index walks a whole table in batches)."""
        if entity is Entity.LEAD:
            sql = (
                "SELECT DISTINCT entity_id AS id FROM identity_keys WHERE entity = 'lead'"
                " AND entity_id > $1 ORDER BY 1 LIMIT $2"
            )
        else:
            table = "contacts" if entity is Entity.CONTACT else "companies"
            sql = (
                f"SELECT id FROM {table} WHERE merged_into_id IS NULL AND id > $1"
                " ORDER BY id LIMIT $2"
            )
        return [int(r["id"]) for r in await self._s.fetch(sql, after, limit)]


CONTACT_COLUMNS = "id, name, phones, emails, company_id, company_name, owner_id, merged_into_id"


# PostgreSQL: one detection's whole read (see SqlIdentityRepository.candidates). Each wanted
# key probes its count and, within its cap, its records by index (the OFFSET 0 fences keep
# the lateral subqueries from being flattened into a join the planner could hash: a generic
# plan did, at 50 ms); the records found are then read one by one by primary key (fenced
# too: the open-lead filter was planned as a scan of every lead without a contact). Rows
# come back as one column set, told apart by `part`: k(ey) entity n id; c(ontact) id name
# phones emails company_id(n) company_name(extra) identity kinds/values; (f)irm inn(key) id
# name phones emails website(extra); l(ead) id name company(extra) keys(kinds); r(ejected) id.
CANDIDATES_SQL = f"""
WITH hits AS MATERIALIZED (
  SELECT w.key, c.entity, c.n, k.entity_id
  FROM unnest($1::text[], $2::int[]) AS w (key, cap)
  CROSS JOIN LATERAL (SELECT entity, n FROM identity_key_counts
    WHERE key = w.key AND n > 0 OFFSET 0) c
  LEFT JOIN LATERAL (SELECT entity_id FROM identity_keys
    WHERE key = w.key AND entity = c.entity AND c.n <= w.cap OFFSET 0) k ON TRUE
)
SELECT 'k', key, entity, n::bigint, entity_id, NULL::text, NULL::text, NULL::text, NULL::text,
  NULL::text[], NULL::text[]
FROM hits
UNION ALL
SELECT 'c', NULL, NULL, c.company_id, c.id, c.name, c.phones, c.emails, c.company_name,
  ARRAY(SELECT i.kind FROM identities i WHERE i.entity = 'contact' AND i.entity_id = c.id
    ORDER BY i.id),
  ARRAY(SELECT i.value FROM identities i WHERE i.entity = 'contact' AND i.entity_id = c.id
    ORDER BY i.id)
FROM (SELECT DISTINCT entity_id FROM hits WHERE entity = 'contact') h
CROSS JOIN LATERAL (SELECT id, name, phones, emails, company_id, company_name FROM contacts
  WHERE id = h.entity_id OFFSET 0) c
UNION ALL
SELECT 'f', f.inn, NULL, NULL, f.id, f.name, f.phones, f.emails, f.website, NULL, NULL
FROM (SELECT DISTINCT entity_id FROM hits WHERE entity = 'company') h
CROSS JOIN LATERAL (SELECT id, name, inn, phones, emails, website FROM companies
  WHERE id = h.entity_id OFFSET 0) f
UNION ALL
SELECT 'l', NULL, NULL, NULL, l.id, l.name, NULL, NULL, l.company,
  ARRAY(SELECT k.key FROM identity_keys k WHERE k.entity = 'lead' AND k.entity_id = l.id),
  NULL
FROM (SELECT DISTINCT entity_id FROM hits WHERE entity = 'lead') h
CROSS JOIN LATERAL (SELECT id, name, company FROM leads WHERE id = h.entity_id
  AND contact_id IS NULL AND status IN ('new', 'in_work') OFFSET 0) l
UNION ALL
SELECT 'r', NULL, NULL, NULL, r.contact_id, NULL, NULL, NULL, NULL, NULL, NULL
FROM identity_rejections r
WHERE r.contact_id = ANY (ARRAY(SELECT entity_id FROM hits WHERE entity = 'contact'))
  AND r.key = ANY ($3::text[])
  AND EXISTS (SELECT FROM hits WHERE key = '{REJECTIONS_KEY}' AND entity = 'contact')
"""


def _contact(r: Row, identities: tuple[Identity, ...]) -> Contact:
    return Contact(
        id=int(r["id"]),
        name=r["name"],
        phones=tuple(from_json(r["phones"])),
        emails=tuple(from_json(r["emails"])),
        identities=identities,
        company_id=r["company_id"],
        company_name=r["company_name"],
        owner_id=r["owner_id"],
        merged_into_id=r["merged_into_id"],
    )


def _new_key_rows(
    entity: Entity, keyed: Iterable[tuple[int, Collection[str]]], *, ordered: bool = True
) -> tuple[list[tuple[str, str, int]], int]:
    """Key rows of records not indexed before (in key order unless `ordered=False`), and how
    many records have keys.

    B-tree inserts in key order stay local, which matters at millions of keys.
    """
    by_record: dict[int, set[str]] = {}
    for entity_id, keys in keyed:
        if keys:
            found = by_record.get(entity_id)
            if found is None:
                by_record[entity_id] = set(keys)
            else:
                found.update(keys)
    value = entity.value
    rows = [(k, value, entity_id) for entity_id, keys in by_record.items() for k in keys]
    if ordered:
        rows.sort(key=itemgetter(0))
    return rows, len(by_record)


def _marks(count: int, start: int = 1) -> str:
    return ", ".join(f"${n}" for n in range(start, start + count))


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
