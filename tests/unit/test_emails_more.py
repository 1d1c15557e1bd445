"""E-mail canonical forms, role mailboxes and free providers."""

from __future__ import annotations

import pytest

from dedupe.emails import NormalizedEmail, normalize_email


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Ivan.Petrov@gmail.com", "ivanpetrov@gmail.com"),
        ("i.van.petrov+crm@gmail.com", "ivanpetrov@gmail.com"),
        ("ivanpetrov@googlemail.com", "ivanpetrov@gmail.com"),
        ("ivan.petrov@yandex.ru", "ivan-petrov@yandex.ru"),
        ("ivan-petrov@ya.ru", "ivan-petrov@yandex.ru"),
        ("Ivan.Petrov+shop@yandex.com", "ivan-petrov@yandex.ru"),
        ("ivan.petrov@yandex.kz", "ivan-petrov@yandex.ru"),
        ("ivan@yandex.by", "ivan@yandex.ru"),
        ("ivan@yandex.ua", "ivan@yandex.ru"),
        # mail.ru group: separate mailboxes, no +tags, no folding at all.
        ("ivan.petrov@mail.ru", "ivan.petrov@mail.ru"),
        ("ivan.petrov@bk.ru", "ivan.petrov@bk.ru"),
        ("ivan+test@mail.ru", "ivan+test@mail.ru"),
        ("ivan.petrov+x@company.ru", "ivan.petrov+x@company.ru"),
        ("ivan@narod.ru", "ivan@narod.ru"),
    ],
)
def test_canonical_folds_provider_aliases(raw: str, canonical: str) -> None:
    assert normalize_email(raw).canonical == canonical


def test_canonical_leaves_address_alone() -> None:
    email = normalize_email("I.van+crm@GMAIL.com")
    assert email.address == "i.van+crm@gmail.com"
    assert email.canonical == "ivan@gmail.com"


@pytest.mark.parametrize(("first", "second"), [("ivan@mail.ru", "ivan@bk.ru")])
def test_mail_ru_domains_are_different_mailboxes(first: str, second: str) -> None:
    assert normalize_email(first).canonical != normalize_email(second).canonical


def test_invalid_address_has_no_derived_fields() -> None:
    email = normalize_email("not-an-email")
    assert email.canonical is None
    assert email.domain is None
    assert not email.is_role
    assert not email.is_free_provider


def test_two_argument_constructor_still_works() -> None:
    email = NormalizedEmail("x", "ivan.petrov@gmail.com")
    assert email.valid
    assert email.canonical == "ivanpetrov@gmail.com"
    assert email.domain == "gmail.com"
    assert email.local_part == "ivan.petrov"


@pytest.mark.parametrize(
    "raw",
    [
        "info@company.ru",
        "INFO@company.ru",
        "sales@company.ru",
        "office@company.ru",
        "zakaz@shop.ru",
        "buh@company.ru",
        "no-reply@company.ru",
        "noreply@company.ru",
        "do_not_reply@company.ru",
        "info1@company.ru",
        "sales-msk@company.ru",
        "office.spb@company.ru",
        "zakaz_2@shop.ru",
        "info+crm@company.ru",
        "priemnaya@company.ru",
        "hr@company.ru",
        "tender@company.ru",
        "заказ@магазин.рф",
    ],
)
def test_role_mailboxes(raw: str) -> None:
    assert normalize_email(raw).is_role


@pytest.mark.parametrize(
    "raw",
    [
        "ivan.petrov@company.ru",
        "ivan.sales@company.ru",  # a person in sales, not the sales mailbox
        "sales.ivanov@company.ru",
        "information.security.lead@company.ru",
        "infoservice@company.ru",
        "prokhorov@company.ru",  # starts with "pr"
        "hranitel@company.ru",  # starts with "hr"
        "ivan@gmail.com",
    ],
)
def test_personal_mailboxes_are_not_roles(raw: str) -> None:
    assert not normalize_email(raw).is_role


@pytest.mark.parametrize(
    ("raw", "free"),
    [
        ("ivan@gmail.com", True),
        ("ivan@yandex.ru", True),
        ("ivan@ya.ru", True),
        ("ivan@mail.ru", True),
        ("ivan@inbox.ru", True),
        ("ivan@rambler.ru", True),
        ("ivan@outlook.com", True),
        ("ivan@hotmail.co.uk", True),
        ("ivan@live.ru", True),
        ("ivan@icloud.com", True),
        ("ivan@yahoo.com", True),
        ("ivan@proton.me", True),
        ("ivan@company.ru", False),
        ("ivan@mail.company.ru", False),
        ("ivan@live.sales-company.ru", False),
        ("ivan@yandex-team.ru", False),
    ],
)
def test_free_provider(raw: str, free: bool) -> None:
    email = normalize_email(raw)
    assert email.is_free_provider is free
    assert email.domain == raw.rpartition("@")[2]
