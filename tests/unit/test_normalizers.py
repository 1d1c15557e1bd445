"""Phone and e-mail normalization for leads."""

from __future__ import annotations

import phonenumbers
import pytest

from dedupe.emails import normalize_email
from dedupe.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164", "extension"),
    [
        ("8 (916) 123-45-67", "+79161234567", None),
        ("+7 916 123 45 67", "+79161234567", None),
        ("79161234567", "+79161234567", None),
        ("9161234567", "+79161234567", None),
        ("8-800-555-35-35", "+78005553535", None),
        ("+7 (495) 123-45-67 доб. 123", "+74951234567", "123"),
        ("+7 495 123-45-67 ext. 45", "+74951234567", "45"),
        ("84951234567#7", "+74951234567", "7"),
        ("+7 727 250 00 00", "+77272500000", None),  # Almaty: +7 is shared with Kazakhstan
        ("+375 29 123-45-67", "+375291234567", None),
    ],
)
def test_valid_phones(raw: str, e164: str, extension: str | None) -> None:
    phone = normalize_phone(raw, "RU")
    assert phone.valid
    assert (phone.e164, phone.extension) == (e164, extension)
    assert phone.raw == raw


@pytest.mark.parametrize("raw", ["12-ab", "123", "+7 000 000 00 00", "звоните", "8" * 40])
def test_invalid_phones_are_kept_raw(raw: str) -> None:
    phone = normalize_phone(raw, "RU")
    assert not phone.valid
    assert phone.e164 is None
    assert phone.raw == raw


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        (" Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru"),
        ("mailto:sales@example.com", "sales@example.com"),
        ("иван@почта.рф", "иван@почта.рф"),
    ],
)
def test_valid_emails(raw: str, address: str) -> None:
    assert normalize_email(raw).address == address


@pytest.mark.parametrize(
    "raw", ["not-an-email", "a@b", "a@@b.ru", "a b@c.ru", "a..b@c.ru", "@c.ru"]
)
def test_invalid_emails_are_kept_raw(raw: str) -> None:
    email = normalize_email(raw)
    assert not email.valid
    assert email.raw == raw


@pytest.mark.parametrize("prefix", range(900, 1000))
def test_fast_mobile_path_agrees_with_phonenumbers(prefix: int) -> None:
    for written in (f"8 ({prefix}) 123-45-67", f"+7{prefix}1234567", f"{prefix} 765 43 21"):
        ours = normalize_phone(written, "RU").e164
        parsed = phonenumbers.parse(written.replace("8 (", "+7 (", 1), "RU")
        assert phonenumbers.is_valid_number(parsed)
        assert ours == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("written", ["+8 916 123 45 67", "+79161234567 доб. 12", "8916123456"])
def test_fast_path_leaves_other_forms_to_phonenumbers(written: str) -> None:
    phone = normalize_phone(written, "RU")
    if written.startswith("+8"):
        assert phone.e164 != "+79161234567"
    elif "доб" in written:
        assert phone.e164 == "+79161234567" and phone.extension == "12"
    else:
        assert phone.e164 is None
