"""`[documents.seller]`: the requisites documents print, checked as they are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError
from config.documents_settings import documents_settings
from config.reader import Section
from config.seller_settings import SellerRequisites, seller_requisites


def seller(data: dict[str, object], source: str = "/etc/leadintake/leadintake.toml") -> Section:
    return Section(source, "documents.seller", dict(data))


def test_no_section_means_no_requisites() -> None:
    assert seller_requisites(seller({})) == SellerRequisites()
    assert documents_settings(Section("x.toml", "documents", {})).seller == SellerRequisites()


def test_requisites_and_pictures_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "stamp.png").write_bytes(b"\x89PNG")
    config = tmp_path / "leadintake.toml"
    data = {
        "name": "ООО  «Ромашка»",
        "inn": "7701234567",
        "kpp": "770101001",
        "ogrn": "1027700000000",
        "address": "г. Москва, ул. Ленина, д. 1",
        "bank": "ПАО СБЕРБАНК",
        "bik": "044525225",
        "correspondent_account": "30101810400000000225",
        "account": "40702810938000012345",
        "director": "Иванов И. И.",
        "accountant": "Петрова А. С.",
        "stamp": "stamp.png",
    }
    documents = documents_settings(Section(str(config), "documents", {"seller": data}))

    found = documents.seller
    assert found.name == "ООО «Ромашка»"  # spaces as one
    assert (found.inn, found.kpp, found.bik) == ("7701234567", "770101001", "044525225")
    assert found.stamp == tmp_path / "stamp.png"
    assert found.logo is None and found.signature is None


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"inn": "77012345"}, "documents.seller.inn"),
        ({"kpp": "77010100A"}, "documents.seller.kpp"),
        ({"bik": 44525225}, "documents.seller.bik"),
        ({"account": "4070281093800001234"}, "documents.seller.account"),
        ({"correspondent_account": "3010"}, "documents.seller.correspondent_account"),
        ({"director": "И" * 501}, "documents.seller.director"),
        ({"stamp": "/nowhere/stamp.png"}, "documents.seller.stamp"),
        ({"logo": "/etc/hostname"}, "documents.seller.logo"),
        ({"phone": "+7"}, "documents.seller.phone"),
    ],
)
def test_refusals_name_the_key(data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as refused:
        seller_requisites(seller(data))
    assert refused.value.field == key
