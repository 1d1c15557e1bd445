"""The operation table of shipments (товарные накладные) and acts (акты выполненных работ)."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, path_id
from intake.http.schemas import closing

TAG = "invoices"
MADE_FROM = (
    " from a paid invoice (an issued or partly paid one when the pipeline has"
    " ship_before_payment): every invoice line of its kind not yet in a live shipment or act"
    " (the catalogue product's kind decides; delivery is a service; a free line goes with"
    " the first document made); numbered per year"
)
CREATE_ERRORS = {
    400: "Invalid id or body",
    404: "No such invoice the caller may work on",
    409: "The invoice is not paid (or issued), or none of its lines is left for this kind",
}
PDF = {"type": "string", "format": "binary"}


def _kind_operations(kind: str, plural: str, label: str, example: str) -> tuple[Operation, ...]:
    noun = kind.capitalize()
    param = path_id(f"{kind}_id")
    path = f"/api/v1/{plural}/{{{kind}_id}}"
    missing = f"No such {kind} visible to the caller"
    return (
        Operation(
            "POST",
            f"/api/v1/invoices/{{invoice_id}}/{plural}",
            f"create{noun}",
            f"A draft {label} ({example})" + MADE_FROM,
            {201: Reply(f"The {kind}", closing.ClosingDocument)},
            errors=CREATE_ERRORS,
            params=(path_id("invoice_id"),),
            request=Request(closing.NewClosingDocument, required=False),
            tag=TAG,
        ),
        Operation(
            "GET",
            path,
            f"get{noun}",
            f"One {kind}: the invoice lines it closes and their amounts",
            {200: Reply(f"The {kind}", closing.ClosingDocument)},
            errors={400: "Invalid id", 404: missing},
            params=(param,),
            tag=TAG,
        ),
        Operation(
            "POST",
            f"{path}/status",
            f"change{noun}Status",
            "draft → done (shipped / signed) or cancelled; done → cancelled (frees its lines)."
            " Each change in the deal's timeline",
            {200: Reply(f"The {kind}", closing.ClosingDocument)},
            errors={
                400: "Invalid id or body",
                404: f"No such {kind} the caller may work on",
                409: "Not a next status of the current one",
            },
            params=(param,),
            request=Request(closing.ClosingStatusChange),
            tag=TAG,
        ),
        Operation(
            "GET",
            f"{path}/pdf",
            f"get{noun}Pdf",
            f"The {kind} as a PDF ({example})",
            {200: Reply(f"The PDF, named after the {kind}'s number", PDF, "application/pdf")},
            errors={400: "Invalid id", 404: missing},
            params=(param,),
            tag=TAG,
        ),
    )


CLOSING_OPERATIONS: tuple[Operation, ...] = (
    *_kind_operations("shipment", "shipments", "shipment of goods", "Товарная накладная"),
    *_kind_operations("act", "acts", "act of services", "Акт выполненных работ"),
    Operation(
        "GET",
        "/api/v1/deals/{deal_id}/shipments",
        "listDealShipments",
        "The deal's shipments and acts, oldest first",
        {200: Reply("Shipments and acts", closing.ClosingPage)},
        errors={400: "Invalid id", 404: "No such deal visible to the caller"},
        params=(path_id("deal_id"),),
        tag=TAG,
    ),
)
