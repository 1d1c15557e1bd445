"""The seller's side of a document from `[documents.seller]`: requisites and pictures."""

from __future__ import annotations

import base64
from pathlib import Path

from config.seller_settings import SellerRequisites
from workplace.documents.render import DocumentRenderError
from workplace.documents.views import DocumentImages, DocumentParty

_MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_MEDIA_TYPES[".svg"] = "image/svg+xml"
# A stamp or a logo larger than this is surely not one (and would bloat every PDF).
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def seller_party(seller: SellerRequisites) -> DocumentParty:
    """The seller as a document's party (an empty name when the settings have none)."""
    return DocumentParty(
        name=seller.name or "",
        inn=seller.inn,
        kpp=seller.kpp,
        address=seller.address,
        bank=seller.bank,
        bik=seller.bik,
        correspondent_account=seller.correspondent_account,
        account=seller.account,
    )


def seller_images(seller: SellerRequisites) -> DocumentImages:
    """The logo, stamp and signature files as data: URIs; DocumentRenderError naming the
    picture when its file cannot be read."""
    return DocumentImages(
        logo=_data_uri(seller.logo, "logo"),
        stamp=_data_uri(seller.stamp, "stamp"),
        signature=_data_uri(seller.signature, "signature"),
    )


def _data_uri(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        content = path.read_bytes()
    except OSError as err:
        raise DocumentRenderError(f"[documents.seller] {what}: cannot read {path}") from err
    if len(content) > MAX_IMAGE_BYTES:
        raise DocumentRenderError(f"[documents.seller] {what}: larger than 2 MB")
    media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"
