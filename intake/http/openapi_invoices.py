"""The operation table of invoices (счета) and the payments that settle them."""

from __future__ import annotations

from intake.http.contract import (
    TEXT,
    Operation,
    Param,
    Reply,
    Request,
    id_schema,
    limit,
    path_id,
    query,
)
from intake.http.conversations import MAX_KEY_CHARS
from intake.http.schemas import invoices, quotes

TAG = "invoices"
DEAL = path_id("deal_id")
QUOTE = path_id("quote_id")
INVOICE = path_id("invoice_id")
PAYMENT = path_id("payment_id")
BINARY = "application/octet-stream"

INVOICE_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/api/v1/quotes/{quote_id}/invoice",
        "invoiceFromQuote",
        "A draft invoice from an accepted quote: every line, the VAT mode and the discount"
        " copied; numbered СЧ-YYYY-NNNN (per year, no gaps); one invoice per quote unless it"
        " was rejected or cancelled",
        {201: Reply("The invoice", invoices.Invoice)},
        errors={
            400: "Invalid id or body",
            404: "No such quote the caller may work on",
            409: "The quote is not accepted, already has an invoice, the deal is closed, or"
            " the seller's requisites are not configured",
            422: "due_date in the past",
        },
        params=(QUOTE,),
        request=Request(invoices.InvoiceFromQuote, required=False),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/deals/{deal_id}/invoices",
        "createInvoice",
        "A draft invoice on an open deal the caller works on, its lines given as a quote's;"
        " the seller's requisites from [documents.seller], the buyer's from the deal's company",
        {201: Reply("The invoice", invoices.Invoice)},
        errors={
            400: "Invalid id or body; the error names the field",
            404: "No such deal the caller may work on",
            409: "The deal is closed or the seller's requisites are not configured",
            422: "A value is not allowed; the error names the field, e.g. items.2.price",
        },
        params=(DEAL,),
        request=Request(invoices.NewInvoice),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/deals/{deal_id}/invoices",
        "listDealInvoices",
        "The deal's invoices, oldest first",
        {200: Reply("Invoices", invoices.InvoicePage)},
        errors={400: "Invalid id", 404: "No such deal visible to the caller"},
        params=(DEAL,),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/invoices/{invoice_id}",
        "getInvoice",
        "One invoice: seller and buyer requisites, lines, amounts, VAT per rate, amount in"
        " words, what is paid and due",
        {200: Reply("The invoice", invoices.Invoice)},
        errors={400: "Invalid id", 404: "No such invoice visible to the caller"},
        params=(INVOICE,),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/invoices/{invoice_id}/pdf",
        "getInvoicePdf",
        "The invoice as a PDF (Счёт на оплату: the seller's bank requisites, seller and buyer,"
        " basis, lines, totals and VAT, total in words, due date, director and accountant)",
        {
            200: Reply(
                "The PDF, as an attachment named after the invoice's number",
                {"type": "string", "format": "binary"},
                "application/pdf",
            )
        },
        errors={400: "Invalid id", 404: "No such invoice visible to the caller"},
        params=(INVOICE,),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/invoices/{invoice_id}/send",
        "sendInvoice",
        "E-mail the invoice's PDF to the client (queued, sent once by the replies worker"
        " through SMTP); the send is in the deal's timeline and a draft becomes issued (the"
        " deal moving to its on_invoice stage)",
        {
            202: Reply(
                "Queued (or already queued under this Idempotency-Key)", invoices.SentInvoice
            )
        },
        errors={
            400: "Malformed body or header; the error names the field",
            404: "No such invoice the caller may work on",
            409: "The invoice is rejected or cancelled, or the Idempotency-Key was used for"
            " another send",
            422: "No address to send to (`to`), not an e-mail address, or no mailbox that"
            " can send (`mailbox`)",
        },
        params=(
            INVOICE,
            Param(
                "Idempotency-Key",
                "header",
                {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
                "A retry with the same key queues nothing new",
            ),
        ),
        request=Request(quotes.SendQuote, required=False),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/invoices/{invoice_id}/status",
        "changeInvoiceStatus",
        "Черновик → Выставлен → Отклонён / Отменён (a draft may be cancelled); Оплачен"
        " частично and Оплачен follow from payments only. Issuing moves the deal to its"
        " pipeline's on_invoice stage. Each change in the deal's timeline",
        {200: Reply("The invoice", invoices.Invoice)},
        errors={
            400: "Invalid id or body",
            404: "No such invoice the caller may work on",
            409: "Not a next status of the current one",
            422: "A paid status asked for by hand",
        },
        params=(INVOICE,),
        request=Request(invoices.InvoiceStatusChange),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/payments",
        "createPayment",
        "Record a payment for an issued (or partly paid) invoice: it becomes partially_paid"
        " or paid (overpaid flagged); a paid invoice moves the deal to its on_payment stage",
        {201: Reply("The payment and the invoice after it", invoices.AppliedPayment)},
        errors={
            400: "Invalid body; the error names the field",
            404: "No such invoice the caller may work on",
            409: "The invoice is not issued (a draft, rejected or cancelled)",
        },
        request=Request(invoices.NewPayment),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/payments/import",
        "importPayments",
        "Import a bank statement in the 1C exchange format (1CClientBankExchange, cp1251, up"
        " to 2 MiB): each incoming payment to the seller's account is matched by the invoice"
        " number in its purpose, then by payer INN and an amount equal to an invoice's due;"
        " the others wait (status=unmatched). Importing a statement again records nothing"
        " twice. Heads only",
        {200: Reply("What the import did", invoices.ImportSummary)},
        errors={
            403: "Only a head of sales imports statements",
            409: "The seller's account is not configured",
            422: "Not a 1C exchange file, or a document without a valid Номер, Дата or Сумма"
            " (the error names it, e.g. documents.3.Сумма)",
        },
        request=Request({"type": "string"}, content_types=(TEXT, BINARY)),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/payments",
        "listPayments",
        "Payments, newest first; status=unmatched lists those waiting for a person. A"
        " manager sees the waiting ones and those of deals they work on",
        {200: Reply("Payments", invoices.PaymentPage)},
        errors={400: "Invalid query parameter"},
        params=(
            query("status", {"type": "string", "enum": ["matched", "unmatched"]}),
            query("invoice_id", id_schema()),
            limit(),
            query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000}),
        ),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/payments/{payment_id}/match",
        "matchPayment",
        "Settle an invoice with a waiting payment",
        {200: Reply("The payment and the invoice after it", invoices.AppliedPayment)},
        errors={
            400: "Invalid id or body",
            404: "No such payment, or no such invoice the caller may work on",
            409: "The payment already settles an invoice, or the invoice is not issued",
        },
        params=(PAYMENT,),
        request=Request(invoices.PaymentMatch),
        tag=TAG,
    ),
)
