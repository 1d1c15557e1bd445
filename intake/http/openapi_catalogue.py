"""The operation table of the catalogue: products and services, price lists, CSV import."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, id_schema, limit, path_id, query
from intake.http.schemas import catalogue

TAG = "catalogue"
CSV = "text/csv"
HEADS_ONLY = "Not a head of sales (managers read the catalogue, heads change it)"
PRODUCT = path_id("product_id")
PRICE_LIST = path_id("price_list_id")
PRODUCT_ERRORS = {
    400: "Malformed body; the error names the field",
    403: HEADS_ONLY,
    409: "The SKU (артикул) belongs to another product",
    422: "A value is not allowed (an unknown price list...); the error names the field",
}
LIST_ERRORS = {
    400: "Malformed body; the error names the field",
    403: HEADS_ONLY,
    409: "Another price list has this name",
    422: "A value is not allowed (an unknown product...); the error names the field",
}

CATALOGUE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/products",
        "listProducts",
        "Products and services in alphabetical order (case and ё aside)",
        {200: Reply("A page of products", catalogue.ProductPage)},
        errors={400: "Invalid query parameter"},
        params=(
            query("search", description="Part of the name or SKU, any case"),
            query("active", {"type": "string", "enum": ["true", "false"]}),
            query("price_list_id", id_schema(), "Only products priced in this list"),
            limit(),
            query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/products",
        "createProduct",
        "Add a product or service; heads only",
        {201: Reply("The product", catalogue.Product)},
        errors=PRODUCT_ERRORS,
        request=Request(catalogue.ProductEdit),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/products/import",
        "importProducts",
        "Create or update products from a CSV file (Bitrix24 or 1C export, or the Russian"
        " column names Название, Артикул, Цена, Ед. изм., Ставка НДС); the whole file or"
        " nothing; `price_list_id` puts its prices in that list; heads only",
        {200: Reply("What the import did", catalogue.ImportResult)},
        errors={
            400: "Invalid query parameter",
            403: HEADS_ONLY,
            404: "No such price list",
            422: "The file cannot be imported: `rows` names every wrong row",
        },
        params=(query("price_list_id", id_schema(), "Put the file's prices in this list"),),
        request=Request({"type": "string"}, content_types=(CSV,)),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/products/{product_id}",
        "getProduct",
        "One product with its prices per list",
        {200: Reply("The product", catalogue.Product)},
        errors={400: "Invalid id", 404: "No such product"},
        params=(PRODUCT,),
        tag=TAG,
    ),
    Operation(
        "PUT",
        "/api/v1/products/{product_id}",
        "updateProduct",
        "Replace a product; `prices`, when given, replace its prices per list; heads only",
        {200: Reply("The product", catalogue.Product)},
        errors={**PRODUCT_ERRORS, 400: "Invalid id or body", 404: "No such product"},
        params=(PRODUCT,),
        request=Request(catalogue.ProductEdit),
        tag=TAG,
    ),
    Operation(
        "DELETE",
        "/api/v1/products/{product_id}",
        "deleteProduct",
        "Remove a product and its list prices (documents keep their copy); heads only",
        {204: Reply("Removed")},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: "No such product"},
        params=(PRODUCT,),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/price-lists",
        "listPriceLists",
        "Every price list by name",
        {200: Reply("Price lists", catalogue.PriceListPage)},
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/price-lists",
        "createPriceList",
        "Add a price list, with its prices when given; heads only",
        {201: Reply("The price list with its prices", catalogue.PriceList)},
        errors=LIST_ERRORS,
        request=Request(catalogue.PriceListEdit),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/price-lists/{price_list_id}",
        "getPriceList",
        "One price list with its prices",
        {200: Reply("The price list with its prices", catalogue.PriceList)},
        errors={400: "Invalid id", 404: "No such price list"},
        params=(PRICE_LIST,),
        tag=TAG,
    ),
    Operation(
        "PUT",
        "/api/v1/price-lists/{price_list_id}",
        "updatePriceList",
        "Rename or (de)activate a price list; `items`, when given, replace its prices; heads only",
        {200: Reply("The price list with its prices", catalogue.PriceList)},
        errors={**LIST_ERRORS, 400: "Invalid id or body", 404: "No such price list"},
        params=(PRICE_LIST,),
        request=Request(catalogue.PriceListEdit),
        tag=TAG,
    ),
    Operation(
        "DELETE",
        "/api/v1/price-lists/{price_list_id}",
        "deletePriceList",
        "Remove a price list and its prices; heads only",
        {204: Reply("Removed")},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: "No such price list"},
        params=(PRICE_LIST,),
        tag=TAG,
    ),
)
