"""Contacts extracted from free text."""

from __future__ import annotations

import pytest

from dedupe.extract import MAX_TEXT_LENGTH, ExtractedContacts, extract_contacts


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("мой номер 8 916 123-45-67, звоните после 18", ("+79161234567",)),
        ("Тел.: +7 (495) 123-45-67 доб. 123", ("+74951234567",)),
        ("моб. 8-916-1234567", ("+79161234567",)),
        ("WhatsApp +7 916 123 45 67", ("+79161234567",)),
        ("тел:+79161234567", ("+79161234567",)),
        ("8(916)1234567 или 8 800 555 35 35", ("+79161234567", "+78005553535")),
        ("8 916 123-45-67, а также +7 916 123 45 67", ("+79161234567",)),  # deduplicated
        ("Телефон № 8 916 123-45-67", ("+79161234567",)),
        ("пишите в https://wa.me/79161234567", ("+79161234567",)),
        ("Минск: +375 29 123-45-67", ("+375291234567",)),
        ("Алматы +7 727 250 00 00", ("+77272500000",)),
    ],
)
def test_phones_found(text: str, phones: tuple[str, ...]) -> None:
    assert extract_contacts(text).phones == phones


@pytest.mark.parametrize(
    "text",
    [
        "встреча 12.03.2024 в 15:30",
        "заказ №123456789",
        "заказ № 9161234567",  # would be a valid mobile number
        "номер заказа: 9161234567",
        "ИНН 7707083893",
        "ИНН 9161234503",  # a valid INN that is also a valid mobile number
        "ИНН 500100732259",
        "ОГРН 1027700132195",
        "р/с 40702810938000000000",
        "счёт 9161234567",
        "цена 15 000 руб",
        "итого 1 500 000 ₽",
        "индекс 119021, Москва",
        "работаем с 10:00 до 18:00",
        "артикул 9161234567",
        "#9161234567",
        "",
    ],
)
def test_non_phones_ignored(text: str) -> None:
    assert extract_contacts(text).phones == ()


def test_russian_trunk_prefix_found_outside_ru_region() -> None:
    assert extract_contacts("моб. 8 916 123-45-67", region="BY").phones == ("+79161234567",)


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("пишите на ivan@mail.ru", ("ivan@mail.ru",)),
        ("пишите на Ivan.Petrov@Mail.RU.", ("ivan.petrov@mail.ru",)),
        ("почта: ivan.petrov@mail.ru.Спасибо", ("ivan.petrov@mail.ru",)),
        ("<a.b+tag@company.co.uk>, c@d.ru", ("a.b+tag@company.co.uk", "c@d.ru")),
        ("иван@почта.рф", ("иван@почта.рф",)),
        ("ivan@mail.ru или IVAN@mail.ru", ("ivan@mail.ru",)),
        ("ivan@localhost и @ivan_petrov", ()),
    ],
)
def test_emails_found(text: str, emails: tuple[str, ...]) -> None:
    assert extract_contacts(text).emails == emails


def test_digits_in_email_are_not_a_phone() -> None:
    found = extract_contacts("почта 89161234567@mail.ru")
    assert found.emails == ("89161234567@mail.ru",)
    assert found.phones == ()


@pytest.mark.parametrize(
    ("text", "usernames"),
    [
        ("tg: @ivan_petrov", ("ivan_petrov",)),
        ("t.me/ivan_petrov", ("ivan_petrov",)),
        ("https://t.me/Ivan_Petrov", ("ivan_petrov",)),
        ("telegram: ivan_petrov", ("ivan_petrov",)),
        ("пишите @ivan_petrov или https://t.me/ivan_petrov", ("ivan_petrov",)),
        ("ivan@mail.ru", ()),
        ("@yandex.ru", ()),
        ("инстаграм @shop_msk, телега @ivan_petrov", ("ivan_petrov",)),
        ("t.me/joinchat/AAAAAE", ()),
        ("@ivan", ()),
        ("telegram messenger", ()),
    ],
)
def test_telegram_usernames_found(text: str, usernames: tuple[str, ...]) -> None:
    assert extract_contacts(text).telegram_usernames == usernames


def test_email_signature() -> None:
    text = (
        "С уважением,\nИван Петров\nменеджер ООО «Ромашка»\n"
        "Тел.: +7 (495) 123-45-67 доб. 123\nмоб. 8-916-1234567\n"
        "ivan.petrov@romashka.ru | tg: @ivan_petrov\nИНН 7707083893, заказ №123456 от 12.03.2024"
    )
    assert extract_contacts(text) == ExtractedContacts(
        phones=("+74951234567", "+79161234567"),
        emails=("ivan.petrov@romashka.ru",),
        telegram_usernames=("ivan_petrov",),
    )


@pytest.mark.parametrize("text", [None, "", "   ", "добрый день, нужна консультация"])
def test_nothing_found(text: str | None) -> None:
    assert extract_contacts(text) == ExtractedContacts()


def test_text_beyond_the_cap_is_not_read() -> None:
    filler = "а" * MAX_TEXT_LENGTH
    found = extract_contacts("8 916 123-45-67 " + filler + " 8 495 123-45-67 x@y.ru")
    assert found.phones == ("+79161234567",)
    assert found.emails == ()
