"""The catalogue in `products`, `price_lists` and `product_prices`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.catalogue import (
    PriceList,
    PriceListFields,
    Product,
    ProductFields,
    ProductKind,
    search_text,
)
from crm_core.money import VatRate
from crm_core.storage.session import Conditions, Row, SqlSession, as_datetime

_PRODUCT = (
    "id, name, kind, unit, sku, price_kopecks, vat_rate, vat_included, active, description,"
    " created_at, updated_at, updated_by"
)
_LIST = "id, name, active, created_at, updated_at, updated_by"


def to_kopecks(amount: Decimal) -> int:
    """A kopeck-exact amount as whole kopecks."""
    return int(amount * 100)


def from_kopecks(value: Any) -> Decimal:
    """Whole kopecks as a Decimal amount with two decimals."""
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere (its % _ and \\ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlCatalogueRepository:
    """Products and price lists; money as whole kopecks."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _lock(self, for_update: bool) -> str:
        return " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""

    # ------------------------------------------------------------ products

    async def add_product(self, fields: ProductFields, actor: str, now: datetime) -> int | None:
        """Store a product; its id, or None when its SKU is taken."""
        row = await self._s.fetchrow(
            "INSERT INTO products (name, kind, unit, sku, price_kopecks, vat_rate, vat_included,"
            " active, description, search_text, created_at, updated_at, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)"
            " ON CONFLICT (sku) DO NOTHING RETURNING id",
            *_product_values(fields),
            now,
            actor,
        )
        return int(row["id"]) if row else None

    async def get_product(self, product_id: int, *, for_update: bool = False) -> Product | None:
        """One product with its list prices."""
        row = await self._s.fetchrow(
            f"SELECT {_PRODUCT} FROM products WHERE id = $1{self._lock(for_update)}", product_id
        )
        if row is None:
            return None
        prices = await self._prices_of([product_id])
        return _product(row, prices.get(product_id, {}))

    async def products(self, product_ids: Sequence[int]) -> dict[int, Product]:
        """Many products with their list prices, by id."""
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(ids) + 1))
        rows = await self._s.fetch(f"SELECT {_PRODUCT} FROM products WHERE id IN ({marks})", *ids)
        prices = await self._prices_of(ids)
        return {int(r["id"]): _product(r, prices.get(int(r["id"]), {})) for r in rows}

    async def list_products(
        self,
        *,
        search: str | None,
        active: bool | None,
        price_list_id: int | None,
        limit: int,
        offset: int,
    ) -> list[Product]:
        """Products in alphabetical order (case and ё aside), then by id."""
        where = Conditions()
        if search:
            where.add("search_text LIKE {} ESCAPE '\\'", like_pattern(search_text(search, None)))
        where.add("active = {}", active)
        where.add(
            "id IN (SELECT product_id FROM product_prices WHERE price_list_id = {})",
            price_list_id,
        )
        n = len(where.args)
        rows = await self._s.fetch(
            f"SELECT {_PRODUCT} FROM products{where.where()} ORDER BY search_text, id"
            f" LIMIT ${n + 1} OFFSET ${n + 2}",
            *where.args,
            limit,
            offset,
        )
        prices = await self._prices_of([int(r["id"]) for r in rows])
        return [_product(r, prices.get(int(r["id"]), {})) for r in rows]

    async def replace_product(
        self, product_id: int, fields: ProductFields, actor: str, now: datetime
    ) -> None:
        """Replace a product's fields."""
        await self._s.execute(
            "UPDATE products SET name = $2, kind = $3, unit = $4, sku = $5, price_kopecks = $6,"
            " vat_rate = $7, vat_included = $8, active = $9, description = $10,"
            " search_text = $11, updated_at = $12, updated_by = $13 WHERE id = $1",
            product_id,
            *_product_values(fields),
            now,
            actor,
        )

    async def delete_product(self, product_id: int) -> None:
        """Remove a product and its list prices."""
        await self._s.execute("DELETE FROM product_prices WHERE product_id = $1", product_id)
        await self._s.execute("DELETE FROM products WHERE id = $1", product_id)

    async def claim(self, kind: str, value: str) -> None:
        """A transaction-scoped advisory lock on the value (PostgreSQL only)."""
        if self._s.dialect == "postgres":
            await self._s.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{kind}:{value}"
            )

    async def product_id_by_sku(self, sku: str) -> int | None:
        """The product with this SKU."""
        row = await self._s.fetchrow("SELECT id FROM products WHERE sku = $1", sku)
        return int(row["id"]) if row else None

    async def product_ids_by_key(self) -> tuple[dict[str, int], dict[str, int]]:
        """Every product's id by SKU, and those without an SKU by case-folded name (the
        oldest wins a name)."""
        rows = await self._s.fetch_tuples("SELECT id, sku, name FROM products ORDER BY id DESC")
        by_sku = {sku: int(i) for i, sku, _ in rows if sku is not None}
        by_name = {search_text(name, None): int(i) for i, sku, name in rows if sku is None}
        return by_sku, by_name

    async def existing_products(self, product_ids: Sequence[int]) -> frozenset[int]:
        """Which of these product ids exist."""
        return await self._existing("products", product_ids)

    async def set_product_prices(self, product_id: int, prices: Mapping[int, Decimal]) -> None:
        """Replace a product's prices in every list."""
        await self._s.execute("DELETE FROM product_prices WHERE product_id = $1", product_id)
        if prices:
            await self._s.executemany(
                "INSERT INTO product_prices (price_list_id, product_id, price_kopecks)"
                " VALUES ($1, $2, $3)",
                [(list_id, product_id, to_kopecks(p)) for list_id, p in prices.items()],
            )

    async def set_price(self, price_list_id: int, product_id: int, price: Decimal) -> None:
        """Set one product's price in one list."""
        await self._s.execute(
            "INSERT INTO product_prices (price_list_id, product_id, price_kopecks)"
            " VALUES ($1, $2, $3) ON CONFLICT (price_list_id, product_id)"
            " DO UPDATE SET price_kopecks = excluded.price_kopecks",
            price_list_id,
            product_id,
            to_kopecks(price),
        )

    async def _prices_of(self, product_ids: Sequence[int]) -> dict[int, dict[int, Decimal]]:
        if not product_ids:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(product_ids) + 1))
        rows = await self._s.fetch_tuples(
            "SELECT product_id, price_list_id, price_kopecks FROM product_prices"
            f" WHERE product_id IN ({marks}) ORDER BY price_list_id",
            *product_ids,
        )
        prices: dict[int, dict[int, Decimal]] = {}
        for product_id, list_id, kopecks in rows:
            prices.setdefault(int(product_id), {})[int(list_id)] = from_kopecks(kopecks)
        return prices

    # ------------------------------------------------------------ price lists

    async def add_price_list(
        self, fields: PriceListFields, actor: str, now: datetime
    ) -> int | None:
        """Store a price list; its id, or None when its name is taken."""
        row = await self._s.fetchrow(
            "INSERT INTO price_lists (name, active, created_at, updated_at, updated_by)"
            " VALUES ($1, $2, $3, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
            fields.name,
            fields.active,
            now,
            actor,
        )
        return int(row["id"]) if row else None

    async def get_price_list(
        self, list_id: int, *, for_update: bool = False, with_items: bool = False
    ) -> PriceList | None:
        """One price list, with its prices when asked."""
        row = await self._s.fetchrow(
            f"SELECT {_LIST} FROM price_lists WHERE id = $1{self._lock(for_update)}", list_id
        )
        if row is None:
            return None
        items: dict[int, Decimal] = {}
        if with_items:
            rows = await self._s.fetch_tuples(
                "SELECT product_id, price_kopecks FROM product_prices WHERE price_list_id = $1"
                " ORDER BY product_id",
                list_id,
            )
            items = {int(p): from_kopecks(k) for p, k in rows}
        return _price_list(row, items)

    async def list_price_lists(self) -> list[PriceList]:
        """Every price list by name."""
        rows = await self._s.fetch(f"SELECT {_LIST} FROM price_lists ORDER BY name, id")
        return [_price_list(r, {}) for r in rows]

    async def replace_price_list(
        self, list_id: int, fields: PriceListFields, actor: str, now: datetime
    ) -> bool:
        """Rename or (de)activate a list; False when another list has the name."""
        taken = await self._s.fetchrow(
            "SELECT 1 FROM price_lists WHERE name = $1 AND id <> $2", fields.name, list_id
        )
        if taken:
            return False
        await self._s.execute(
            "UPDATE price_lists SET name = $2, active = $3, updated_at = $4, updated_by = $5"
            " WHERE id = $1",
            list_id,
            fields.name,
            fields.active,
            now,
            actor,
        )
        return True

    async def delete_price_list(self, list_id: int) -> None:
        """Remove a price list and its prices."""
        await self._s.execute("DELETE FROM product_prices WHERE price_list_id = $1", list_id)
        await self._s.execute("DELETE FROM price_lists WHERE id = $1", list_id)

    async def existing_price_lists(self, list_ids: Sequence[int]) -> frozenset[int]:
        """Which of these price list ids exist."""
        return await self._existing("price_lists", list_ids)

    async def set_list_prices(self, list_id: int, items: Mapping[int, Decimal]) -> None:
        """Replace every price of a list."""
        await self._s.execute("DELETE FROM product_prices WHERE price_list_id = $1", list_id)
        if items:
            await self._s.executemany(
                "INSERT INTO product_prices (price_list_id, product_id, price_kopecks)"
                " VALUES ($1, $2, $3)",
                [(list_id, product_id, to_kopecks(p)) for product_id, p in items.items()],
            )

    async def _existing(self, table: str, ids: Sequence[int]) -> frozenset[int]:
        if not ids:
            return frozenset()
        marks = ", ".join(f"${n}" for n in range(1, len(ids) + 1))
        rows = await self._s.fetch_tuples(f"SELECT id FROM {table} WHERE id IN ({marks})", *ids)
        return frozenset(int(r[0]) for r in rows)


def _product_values(fields: ProductFields) -> tuple[Any, ...]:
    return (
        fields.name,
        fields.kind.value,
        fields.unit,
        fields.sku,
        to_kopecks(fields.price),
        fields.vat_rate.value,
        fields.vat_included,
        fields.active,
        fields.description,
        search_text(fields.name, fields.sku),
    )


def _product(r: Row, prices: Mapping[int, Decimal]) -> Product:
    return Product(
        id=int(r["id"]),
        fields=ProductFields(
            name=r["name"],
            price=from_kopecks(r["price_kopecks"]),
            vat_rate=VatRate(r["vat_rate"]),
            kind=ProductKind(r["kind"]),
            unit=r["unit"],
            sku=r["sku"],
            vat_included=bool(r["vat_included"]),
            active=bool(r["active"]),
            description=r["description"],
        ),
        prices=dict(prices),
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        updated_by=r["updated_by"],
    )


def _price_list(r: Row, items: Mapping[int, Decimal]) -> PriceList:
    return PriceList(
        id=int(r["id"]),
        fields=PriceListFields(name=r["name"], active=bool(r["active"])),
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        updated_by=r["updated_by"],
        items=dict(items),
    )
