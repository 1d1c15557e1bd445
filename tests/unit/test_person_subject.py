"""Whom a 152-FZ request names: a phone in any spelling, an e-mail in any case, one of them."""

from __future__ import annotations

import pytest

from crm_core.access import may_handle_person_requests
from crm_core.errors import DomainError
from crm_core.model import Manager, Role
from crm_core.persons import subject_of
from intake.log_secrets import mask_secrets


@pytest.mark.parametrize(
    "spelling", ["+7 (916) 123-45-67", "8 916 123 45 67", "89161234567", "79161234567"]
)
def test_any_spelling_of_a_phone_names_the_same_person(spelling: str) -> None:
    subject = subject_of(spelling, None)

    assert subject.kind == "phone"
    assert subject.query.phones == {"+79161234567", "79161234567"}
    assert subject.query.keys == {"p:+79161234567"}
    assert "89161234567" in subject.query.needles  # the trunk spelling in raw payloads


def test_an_email_is_matched_in_lower_case() -> None:
    subject = subject_of(None, " Ivan.Petrov@Mail.RU ")

    assert subject.kind == "email"
    assert subject.query.emails == {"ivan.petrov@mail.ru"}
    assert subject.query.keys == {"e:ivan.petrov@mail.ru"}


@pytest.mark.parametrize(
    ("phone", "email", "field"),
    [
        (None, None, "phone"),
        ("89161234567", "a@b.ru", "phone"),
        ("12", None, "phone"),
        (None, "not-an-email", "email"),
    ],
)
def test_neither_both_or_a_malformed_identifier_is_refused_naming_the_field(
    phone: str | None, email: str | None, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        subject_of(phone, email)

    assert refused.value.field == field and refused.value.status == 400


def test_a_persons_phone_or_email_in_a_logged_url_is_masked() -> None:
    line = '"GET /api/v1/persons/export?phone=%2B79161234567&format=html" ?email=a@b.ru'

    assert mask_secrets(line) == '"GET /api/v1/persons/export?phone=***&format=html" ?email=***'


def test_only_a_head_handles_personal_data_requests() -> None:
    head = Manager(1, "head", "Глава", Role.HEAD, None, None, "UTC", True)
    manager = Manager(2, "ivanova", "Анна", Role.MANAGER, None, None, "UTC", True)

    assert may_handle_person_requests(head) and not may_handle_person_requests(manager)
