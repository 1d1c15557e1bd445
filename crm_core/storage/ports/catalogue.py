"""Products, price lists and a product's price per list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from crm_core.catalogue import PriceList, PriceListFields, Product, ProductFields


class CatalogueRepository(Protocol):
    """The catalogue: products and services, price lists and their prices."""

    async def add_product(self, fields: ProductFields, actor: str, now: datetime) -> int | None:
        """Store a product; its id, or None when its SKU is taken."""

    async def get_product(self, product_id: int, *, for_update: bool = False) -> Product | None:
        """One product with its list prices."""

    async def products(self, product_ids: Sequence[int]) -> dict[int, Product]:
        """Many products with their list prices, by id (absent ids are left out)."""

    async def list_products(
        self,
        *,
        search: str | None,
        active: bool | None,
        price_list_id: int | None,
        limit: int,
        offset: int,
    ) -> list[Product]:
        """Products in alphabetical order (case and ё aside), optionally those matching a
        search, active or not, or priced in a list."""

    async def replace_product(
        self, product_id: int, fields: ProductFields, actor: str, now: datetime
    ) -> None:
        """Replace a product's fields."""

    async def delete_product(self, product_id: int) -> None:
        """Remove a product and its list prices."""

    async def claim(self, kind: str, value: str) -> None:
        """Hold, until the transaction ends, the right to check and take a unique value (an
        SKU, a price list's name): a concurrent claim of the same value waits, then finds it
        taken. (PostgreSQL; SQLite has one writer at a time.)"""

    async def product_id_by_sku(self, sku: str) -> int | None:
        """The product with this SKU."""

    async def product_ids_by_key(self) -> tuple[dict[str, int], dict[str, int]]:
        """Every product's id by SKU, and those without an SKU by case-folded name (for
        matching an import)."""

    async def existing_products(self, product_ids: Sequence[int]) -> frozenset[int]:
        """Which of these product ids exist."""

    async def set_product_prices(self, product_id: int, prices: Mapping[int, Decimal]) -> None:
        """Replace a product's prices in every list (list id → price)."""

    async def set_price(self, price_list_id: int, product_id: int, price: Decimal) -> None:
        """Set one product's price in one list."""

    async def add_price_list(
        self, fields: PriceListFields, actor: str, now: datetime
    ) -> int | None:
        """Store a price list; its id, or None when its name is taken."""

    async def get_price_list(
        self, list_id: int, *, for_update: bool = False, with_items: bool = False
    ) -> PriceList | None:
        """One price list, with its prices when asked."""

    async def list_price_lists(self) -> list[PriceList]:
        """Every price list by name (without their prices)."""

    async def replace_price_list(
        self, list_id: int, fields: PriceListFields, actor: str, now: datetime
    ) -> bool:
        """Rename or (de)activate a list; False when another list has the name."""

    async def delete_price_list(self, list_id: int) -> None:
        """Remove a price list and its prices."""

    async def existing_price_lists(self, list_ids: Sequence[int]) -> frozenset[int]:
        """Which of these price list ids exist."""

    async def set_list_prices(self, list_id: int, items: Mapping[int, Decimal]) -> None:
        """Replace every price of a list (product id → price)."""
