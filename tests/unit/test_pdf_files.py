"""A document's file name as a download: safe from its number, Latin for old clients."""

from __future__ import annotations

import pytest

from intake.http.pdf_files import ascii_file_name, pdf_file_name


@pytest.mark.parametrize(
    ("number", "name", "latin"),
    [
        ("КП-2026-0001", "КП-2026-0001.pdf", "KP-2026-0001.pdf"),
        ("СЧ/2026/12", "СЧ_2026_12.pdf", "SCH_2026_12.pdf"),
        ('../"Щит" 7', "Щит__7.pdf", "SHCHit__7.pdf"),
        ("///", "document.pdf", "document.pdf"),
        ("Акт №5", "Акт__5.pdf", "Akt__5.pdf"),
    ],
)
def test_names_keep_letters_digits_and_dashes(number: str, name: str, latin: str) -> None:
    assert pdf_file_name(number) == name
    assert ascii_file_name(name) == latin
