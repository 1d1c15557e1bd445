"""Files in conversations, the pure parts: how channels list a client's files, how the
domain names and checks a manager's file, how a download token is read, how sizes read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from channels.files import FILES_META_KEY as CHANNELS_KEY
from channels.telegram.adapter import AcceptedUpdate, parse_update
from channels.vk.sender import _vk_file_url
from crm_core.replies import file_name
from crm_core.replies_model import FILES_META_KEY, FileRef, files_of
from workplace.pages.timeline import size_label

FIXTURES = Path(__file__).parents[1] / "channels" / "telegram" / "fixtures"
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)


def meta_of(name: str) -> dict[str, str]:
    update = json.loads((FIXTURES / name).read_text("utf-8"))
    outcome = parse_update("sales", update, received_at=AT)
    assert isinstance(outcome, AcceptedUpdate)
    return dict(outcome.event.meta)


def test_channels_and_the_domain_read_the_same_meta_key() -> None:
    assert CHANNELS_KEY == FILES_META_KEY


def test_a_telegram_document_is_listed_by_file_id_with_its_name_type_and_size() -> None:
    files = files_of(meta_of("document.json"))

    assert files == (
        FileRef(
            "Смета_окна.pdf",
            "application/pdf",
            48213,
            "BQACAgIAAxkBAAMYZ_Q1bWl0ZW4tZG9jdW1lbnQtcGRmAAKBtjEbxfPRSgABHgQ",
        ),
    )


def test_a_telegram_photo_is_listed_once_by_its_largest_size() -> None:
    update = json.loads((FIXTURES / "photo_caption.json").read_text("utf-8"))
    largest = update["message"]["photo"][-1]

    [photo] = files_of(meta_of("photo_caption.json"))

    assert (photo.name, photo.content_type, photo.ref) == (
        "photo.jpg",
        "image/jpeg",
        largest["file_id"],
    )


def test_a_text_message_and_malformed_listings_have_no_files() -> None:
    assert files_of(meta_of("text_message.json")) == ()
    assert files_of({"files": "not json"}) == ()
    assert files_of({"files": '{"ref": "x"}'}) == ()
    assert files_of({"files": '[{"name": "a"}, {"ref": "x", "size": true}]'}) == (
        FileRef("файл", "application/octet-stream", None, "x"),
    )


def test_a_file_name_loses_its_path_and_control_characters_and_keeps_its_extension() -> None:
    assert file_name("C:\\Users\\ivanova\\Смета.pdf") == "Смета.pdf"
    assert file_name("../../etc/passwd") == "passwd"
    assert file_name("a\x00b\nc.txt") == "abc.txt"
    assert file_name("   ") == "файл"
    long = file_name("я" * 300 + ".docx")
    assert len(long) == 200 and long.endswith(".docx")


def test_vk_files_are_fetched_only_from_vk_or_the_configured_api_host() -> None:
    api = "https://api.vk.com/method"
    assert _vk_file_url("https://vk.com/doc1_2?hash=x", api)
    assert _vk_file_url("https://sun9-21.userapi.com/impg/z.jpg", api)
    assert not _vk_file_url("http://vk.com/doc1_2", api)
    assert not _vk_file_url("https://evil.example/vk.com", api)
    assert not _vk_file_url("https://vk.com.evil.example/x", api)
    assert _vk_file_url("http://127.0.0.1:8081/vkfiles/a", "http://127.0.0.1:8081/method")
    assert not _vk_file_url("http://127.0.0.1:9999/x", "http://127.0.0.1:8081/method")


def test_sizes_read_as_a_manager_reads_them() -> None:
    assert [size_label(s) for s in (None, 512, 48213, 1_572_864)] == [
        "",
        "512 Б",
        "47 КБ",
        "1,5 МБ",
    ]
