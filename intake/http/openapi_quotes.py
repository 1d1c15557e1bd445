"""The operation table of quotes (КП) on deals."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, path_id
from intake.http.schemas import quotes

TAG = "quotes"
DEAL = path_id("deal_id")
QUOTE = path_id("quote_id")

QUOTE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/api/v1/deals/{deal_id}/quotes",
        "createQuote",
        "A draft quote on an open deal the caller works on, numbered КП-YYYY-NNNN (per year,"
        " no gaps); amounts kopeck-exact by its VAT mode",
        {201: Reply("The quote", quotes.Quote)},
        errors={
            400: "Invalid id or body; the error names the field",
            404: "No such deal the caller may work on",
            409: "The deal is closed",
            422: "A value is not allowed (an unknown product or price list, a line without a"
            " price...); the error names the field, e.g. items.2.price",
        },
        params=(DEAL,),
        request=Request(quotes.NewQuote),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/deals/{deal_id}/quotes",
        "listDealQuotes",
        "The deal's quotes, oldest first",
        {200: Reply("Quotes", quotes.QuotePage)},
        errors={400: "Invalid id", 404: "No such deal visible to the caller"},
        params=(DEAL,),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/quotes/{quote_id}",
        "getQuote",
        "One quote with its lines, amounts, VAT per rate and total in words",
        {200: Reply("The quote", quotes.Quote)},
        errors={400: "Invalid id", 404: "No such quote visible to the caller"},
        params=(QUOTE,),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/quotes/{quote_id}/status",
        "changeQuoteStatus",
        "Черновик → Отправлено → Принято / Отклонено (`reason` required); each change in the"
        " deal's timeline; asking for the current status changes nothing",
        {200: Reply("The quote", quotes.Quote)},
        errors={
            400: "Invalid id or body",
            404: "No such quote the caller may work on",
            409: "Not a next status of the current one",
            422: "A rejection without a reason",
        },
        params=(QUOTE,),
        request=Request(quotes.QuoteStatusChange),
        tag=TAG,
    ),
)
