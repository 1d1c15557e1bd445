"""The operation table of quotes (КП) on deals."""

from __future__ import annotations

from intake.http.contract import Operation, Param, Reply, Request, path_id
from intake.http.conversations import MAX_KEY_CHARS
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
        "PUT",
        "/api/v1/quotes/{quote_id}",
        "editQuote",
        "Replace a draft quote's lines and terms (the body as at creation; without"
        " valid_until it holds for the configured days from today); its number, client and"
        " status stay; the change is in the deal's timeline",
        {200: Reply("The quote", quotes.Quote)},
        errors={
            400: "Invalid id or body; the error names the field",
            404: "No such quote the caller may work on",
            409: "The quote is not a draft (sent, accepted or rejected), or its deal is closed",
            422: "A value is not allowed (an unknown product or price list, a line without a"
            " price...); the error names the field, e.g. items.2.price",
        },
        params=(QUOTE,),
        request=Request(quotes.NewQuote),
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
    Operation(
        "GET",
        "/api/v1/quotes/{quote_id}/pdf",
        "getQuotePdf",
        "The quote as a PDF (Коммерческое предложение: seller's requisites from"
        " [documents.seller], the client, lines, totals by VAT mode, total in words, validity)",
        {
            200: Reply(
                "The PDF, as an attachment named after the quote's number",
                {"type": "string", "format": "binary"},
                "application/pdf",
            )
        },
        errors={400: "Invalid id", 404: "No such quote visible to the caller"},
        params=(QUOTE,),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/quotes/{quote_id}/send",
        "sendQuote",
        "E-mail the quote's PDF to the client (queued, sent once by the replies worker"
        " through SMTP); the send is in the deal's timeline and a draft becomes sent",
        {202: Reply("Queued (or already queued under this Idempotency-Key)", quotes.SentQuote)},
        errors={
            400: "Malformed body or header; the error names the field",
            404: "No such quote the caller may work on",
            409: "The Idempotency-Key was used for another send",
            422: "No address to send to (`to`), not an e-mail address, or no mailbox that"
            " can send (`mailbox`)",
        },
        params=(
            QUOTE,
            Param(
                "Idempotency-Key",
                "header",
                {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
                "A retry with the same key queues nothing new",
            ),
        ),
        request=Request(quotes.SendQuote),
        tag=TAG,
    ),
)
