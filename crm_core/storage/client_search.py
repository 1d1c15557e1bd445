"""Finding contacts and companies for the Клиенты search: by identity keys and by name."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from crm_core.model import Company
from crm_core.storage.session import Row, SqlSession, from_json

CONTACT_COLUMNS = "id, name, phones, emails, company_id, company_name, owner_id, merged_into_id"
COMPANY_COLUMNS = "id, name, inn, phones, emails, website, owner_id, merged_into_id"


async def contact_rows(
    session: SqlSession, keys: Collection[str], name_patterns: Sequence[str], limit: int
) -> list[Row]:
    """Unmerged contacts indexed under any of `keys` or whose name is LIKE a pattern."""
    where, args = _conditions("contact", keys, name_patterns)
    if not where:
        return []
    return await session.fetch(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE merged_into_id IS NULL"
        f" AND ({where}) ORDER BY id DESC LIMIT ${len(args) + 1}",
        *args,
        limit,
    )


async def company_contact_rows(session: SqlSession, company_id: int, limit: int) -> list[Row]:
    """Unmerged contacts of one company, newest first."""
    return await session.fetch(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE company_id = $1"
        " AND merged_into_id IS NULL ORDER BY id DESC LIMIT $2",
        company_id,
        limit,
    )


async def companies(
    session: SqlSession,
    keys: Collection[str],
    name_patterns: Sequence[str],
    inn: str | None,
    limit: int,
) -> list[Company]:
    """Unmerged companies indexed under any of `keys`, with this INN, or named LIKE a pattern."""
    where, args = _conditions("company", keys, name_patterns)
    if inn:
        args.append(inn)
        where = " OR ".join(w for w in (where, f"inn = ${len(args)}") if w)
    if not where:
        return []
    rows = await session.fetch(
        f"SELECT {COMPANY_COLUMNS} FROM companies WHERE merged_into_id IS NULL"
        f" AND ({where}) ORDER BY id DESC LIMIT ${len(args) + 1}",
        *args,
        limit,
    )
    return [
        Company(
            id=int(r["id"]),
            name=r["name"],
            inn=r["inn"],
            phones=tuple(from_json(r["phones"])),
            emails=tuple(from_json(r["emails"])),
            website=r["website"],
            owner_id=r["owner_id"],
            merged_into_id=r["merged_into_id"],
        )
        for r in rows
    ]


def _conditions(
    entity: str, keys: Collection[str], name_patterns: Sequence[str]
) -> tuple[str, list[object]]:
    """The WHERE alternatives, built from placeholders only (values travel as parameters)."""
    args: list[object] = []
    parts: list[str] = []
    if keys:
        args.append(entity)
        entity_mark = f"${len(args)}"
        marks = []
        for k in keys:
            args.append(k)
            marks.append(f"${len(args)}")
        parts.append(
            "id IN (SELECT entity_id FROM identity_keys"
            f" WHERE entity = {entity_mark} AND key IN ({', '.join(marks)}))"
        )
    for pattern in name_patterns:
        args.append(pattern)
        # LOWER folds Cyrillic on PostgreSQL only; SQLite's folds ASCII, so the caller also
        # passes the spellings names are usually stored in (see crm_core.client_search).
        mark = f"${len(args)}"
        parts.append(f"name LIKE {mark} ESCAPE '\\' OR LOWER(name) LIKE {mark} ESCAPE '\\'")
    return " OR ".join(parts), args
