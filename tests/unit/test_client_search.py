"""How the Клиенты search reads one line of text: keys for identifiers, LIKE patterns for names."""

from __future__ import annotations

import pytest

from crm_core.client_search import search_terms


@pytest.mark.parametrize(
    "text", ["8 (916) 123-45-67", "+7 916 1234567", "9161234567", "89161234567", " +79161234567 "]
)
def test_a_phone_in_any_spelling_is_its_identity_key(text: str) -> None:
    terms = search_terms(text)
    assert "p:+79161234567" in terms.keys and terms.name_patterns == ()


def test_an_email_is_looked_up_in_lower_case() -> None:
    assert search_terms("Ivan.Petrov@Example.RU").keys == {"e:ivan.petrov@example.ru"}


def test_an_inn_is_a_key_and_a_column_value() -> None:
    terms = search_terms("7707083893")
    assert "inn:7707083893" in terms.keys and terms.inn == "7707083893"


def test_a_name_is_matched_in_the_spellings_it_is_stored_in() -> None:
    terms = search_terms("петров")
    assert terms.keys == frozenset() and terms.inn is None
    assert {"%петров%", "%Петров%", "%ПЕТРОВ%"} <= set(terms.name_patterns)


def test_like_wildcards_typed_by_the_user_match_only_themselves() -> None:
    assert "%50\\%\\_off%" in search_terms("50%_off").name_patterns


def test_too_little_text_finds_nothing() -> None:
    for text in ("", " ", "а", "123"):
        terms = search_terms(text)
        assert terms.keys == frozenset() and terms.name_patterns == ()
