"""Messenger identities of any kind: known kinds keep their rules, `<name>_id` is a key."""

from __future__ import annotations

import pytest

from dedupe.decision import ScoredCandidate, Thresholds, Verdict, decide
from dedupe.keys import (
    RETRIEVAL_CAPS,
    Entity,
    KeyKind,
    kind_of,
    lookup_keys,
    messenger_key,
    messenger_of,
    person_keys,
)
from dedupe.messengers import generic_id, is_key_kind, normalize_messenger
from dedupe.profile import RawIdentity, build_profile
from dedupe.scoring import KeyStats, compare


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("avito_id", " 98765 ", ("avito_id", "98765")),
        ("whatsapp_id", "79161234567@c.us", ("whatsapp_id", "79161234567@c.us")),
        ("avito_id", "98 765", None),  # not one word
        ("avito_id", "x" * 129, None),  # longer than any id: dropped, never cut
        ("avito_id", "   ", None),
        ("telegram_id", "tg://user?id=42", ("telegram_id", "42")),  # known kinds keep rules
        ("telegram_id", "@ivan_petrov", None),
        ("telegram_username", "@Ivan_Petrov", ("telegram_username", "ivan_petrov")),
        ("vk", "https://vk.com/id123", ("vk_id", "123")),  # a form's "vk" field
        ("whatsapp", "+79161234567", None),  # a phone, read as such elsewhere
        ("Avito ID", "1", None),  # not a kind name
    ],
)
def test_normalize_messenger(kind: str, raw: str, expected: tuple[str, str] | None) -> None:
    assert normalize_messenger(kind, raw) == expected


def test_generic_id_keeps_case_and_punctuation() -> None:
    assert generic_id("AbC-12_x") == "AbC-12_x"


def test_usernames_stay_hints_ids_are_keys() -> None:
    assert is_key_kind("telegram_id") and is_key_kind("vk_id") and is_key_kind("avito_id")
    assert not is_key_kind("telegram_username")
    assert not is_key_kind("whatsapp")


def test_known_kinds_keep_their_stored_prefixes_others_get_a_generic_one() -> None:
    assert messenger_key("telegram_id", "42") == "tg:42"
    assert messenger_key("telegram_username", "durov") == "tu:durov"
    assert messenger_key("vk_id", "1") == "vk:1"
    assert messenger_key("avito_id", "98765") == "m:avito_id:98765"
    assert kind_of("m:avito_id:98765") is KeyKind.MESSENGER
    assert KeyKind.MESSENGER in RETRIEVAL_CAPS
    for stored in ("tg:42", "tu:durov", "vk:1", "m:avito_id:98765", "m:x_id:a:b"):
        kind, value = messenger_of(stored) or ("", "")
        assert messenger_key(kind, value) == stored
    assert messenger_of("p:+79161234567") is None


def test_an_unknown_messenger_id_is_an_identity_key() -> None:
    profile = build_profile(RawIdentity(name="Иван", messengers=(("avito_id", "98765"),)))
    assert profile.has_identifier
    assert "m:avito_id:98765" in person_keys(profile)
    assert "m:avito_id:98765" in lookup_keys(profile)


def test_a_username_alone_is_no_identifier() -> None:
    profile = build_profile(RawIdentity(messengers=(("telegram_username", "ivan_petrov"),)))
    assert not profile.has_identifier
    assert "tu:ivan_petrov" in person_keys(profile)


def test_several_ids_of_one_kind_are_kept() -> None:
    profile = build_profile(
        RawIdentity(telegram_id="42", messengers=(("telegram_id", "43"), ("telegram_id", "42")))
    )
    assert profile.messenger_values("telegram_id") == ("42", "43")
    assert {"tg:42", "tg:43"} <= person_keys(profile)


def _verdict(lead: RawIdentity, candidate: RawIdentity) -> tuple[Verdict, list[str]]:
    comparison = compare(build_profile(lead), build_profile(candidate), KeyStats({}, 100_000))
    decision = decide([ScoredCandidate(Entity.CONTACT, 1, comparison)], None, Thresholds())
    return decision.verdict, [e.field for e in comparison.evidence]


def test_a_shared_avito_id_links_like_a_telegram_id() -> None:
    known = RawIdentity(name="Иван Петров", messengers=(("avito_id", "98765"),))
    by_avito = _verdict(RawIdentity(name="Иван", messengers=(("avito_id", "98765"),)), known)
    by_telegram = _verdict(
        RawIdentity(name="Иван", telegram_id="42"),
        RawIdentity(name="Иван Петров", telegram_id="42"),
    )
    assert by_avito[0] is by_telegram[0] is Verdict.AUTO
    assert "avito_id" in by_avito[1]


def test_another_id_of_the_same_kind_is_a_conflict() -> None:
    known = RawIdentity(name="Иван Петров", messengers=(("avito_id", "98765"),))
    verdict, fields = _verdict(
        RawIdentity(name="Иван Петров", messengers=(("avito_id", "11111"),)), known
    )
    assert verdict is not Verdict.AUTO
    assert "avito_id" in fields


def test_one_of_several_ids_matching_is_a_match() -> None:
    known = RawIdentity(name="Иван Петров", telegram_id="42", messengers=(("telegram_id", "43"),))
    verdict, _ = _verdict(RawIdentity(name="Иван", telegram_id="43"), known)
    assert verdict is Verdict.AUTO
