"""A stored quote as its printed view."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from config.seller_settings import SellerRequisites
from crm_core.model import Company, Contact
from crm_core.quotes_model import Quote
from workplace.documents.seller import seller_images, seller_party
from workplace.documents.views import DocumentParty, QuoteView, document_amounts


def quote_view(
    quote: Quote, seller: SellerRequisites, client: DocumentParty | None, timezone: str
) -> QuoteView:
    """The quote dated the day it was made in the company's time zone, its amounts as
    crm_core computed them."""
    lines, totals = document_amounts(quote.totals)
    return QuoteView(
        number=quote.number,
        date=quote.created_at.astimezone(ZoneInfo(timezone)).date(),
        seller=seller_party(seller),
        client=client,
        lines=lines,
        totals=totals,
        valid_until=quote.valid_until,
        director=seller.director,
        images=seller_images(seller),
    )


def client_party(company: Company | None, contact: Contact | None) -> DocumentParty | None:
    """Who the quote is made out to: the company (with its INN), or else the contact."""
    if company is not None:
        return DocumentParty(name=company.name, inn=company.inn)
    if contact is not None and contact.name:
        return DocumentParty(name=contact.name)
    return None
