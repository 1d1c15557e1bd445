"""A stored invoice as its printed view («Счёт на оплату»)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from config.seller_settings import SellerRequisites
from crm_core.invoices_model import Invoice
from crm_core.quotes_model import Quote
from crm_core.requisites import Requisites
from workplace.documents.html import long_date
from workplace.documents.seller import seller_images
from workplace.documents.views import DocumentParty, InvoiceView, document_amounts


def invoice_view(
    invoice: Invoice, quote: Quote | None, seller: SellerRequisites, timezone: str
) -> InvoiceView:
    """The invoice with the parties it recorded when it was made, its amounts as crm_core
    computed them, the quote it was made from as its basis, and the seller's pictures from
    the settings (pictures are not recorded on the invoice)."""
    lines, totals = document_amounts(invoice.totals)
    basis = None
    if quote is not None:
        made = quote.created_at.astimezone(ZoneInfo(timezone)).date()
        basis = f"Коммерческое предложение № {quote.number} от {long_date(made)}"
    return InvoiceView(
        number=invoice.number,
        date=invoice.invoice_date,
        seller=party(invoice.seller),
        buyer=party(invoice.buyer),
        lines=lines,
        totals=totals,
        due_date=invoice.due_date,
        basis=basis,
        director=invoice.seller.director,
        accountant=invoice.seller.accountant,
        images=seller_images(seller),
    )


def party(requisites: Requisites) -> DocumentParty:
    """A recorded party's requisites as a document prints them."""
    return DocumentParty(
        name=requisites.name,
        inn=requisites.inn,
        kpp=requisites.kpp,
        address=requisites.address,
        bank=requisites.bank,
        bik=requisites.bik,
        correspondent_account=requisites.correspondent_account,
        account=requisites.account,
    )
