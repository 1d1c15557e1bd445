"""A stored shipment or act, with the invoice it closes, as its printed view."""

from __future__ import annotations

from config.seller_settings import SellerRequisites
from crm_core.closing_model import ClosingDocument
from crm_core.invoices_model import Invoice
from crm_core.money import Totals, compute_totals
from crm_core.requisites import Requisites
from workplace.documents.seller import seller_images
from workplace.documents.views import ActView, DocumentParty, ShipmentView, document_amounts


def closing_totals(document: ClosingDocument, invoice: Invoice) -> Totals:
    """The document's lines (the invoice's it closes) priced as on the invoice: its VAT mode
    and discount."""
    lines = tuple(invoice.lines[position - 1] for position in document.positions)
    return compute_totals(lines, invoice.vat_mode, invoice.discount_percent)


def act_view(document: ClosingDocument, invoice: Invoice, seller: SellerRequisites) -> ActView:
    """The act: the seller as executor, the invoice's buyer as customer."""
    lines, totals = document_amounts(closing_totals(document, invoice))
    return ActView(
        number=document.number,
        date=document.document_date,
        executor=party(invoice.seller),
        customer=party(invoice.buyer),
        lines=lines,
        totals=totals,
        basis=_basis(invoice),
        director=seller.director,
        images=seller_images(seller),
    )


def shipment_view(
    document: ClosingDocument, invoice: Invoice, seller: SellerRequisites
) -> ShipmentView:
    """The shipment: the seller as supplier, the invoice's buyer as consignee."""
    lines, totals = document_amounts(closing_totals(document, invoice))
    return ShipmentView(
        number=document.number,
        date=document.document_date,
        supplier=party(invoice.seller),
        consignee=party(invoice.buyer),
        lines=lines,
        totals=totals,
        basis=_basis(invoice),
        director=seller.director,
        images=seller_images(seller),
    )


def party(requisites: Requisites) -> DocumentParty:
    """A party as the invoice recorded it."""
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


def _basis(invoice: Invoice) -> str:
    return f"Счёт № {invoice.number} от {invoice.invoice_date.strftime('%d.%m.%Y')}"
