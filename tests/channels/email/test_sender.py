"""The e-mail sender: the reply it builds (threading headers, subject, quote) and how it reads
a real SMTP server's answers (a local aiosmtpd stand-in)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.email.sender import (
    EmailSender,
    build_reply,
    reply_message_id,
    reply_subject,
    unavailable,
)
from channels.email.settings import EmailMailboxSettings
from channels.sending import Failed, OutgoingFile, OutgoingText, Retry, Sent
from config import load_settings
from tests.conftest import TEST_CONFIG
from tests.dovecot import free_port
from tests.integration.smtp_support import MAILBOX_UNAVAILABLE, TRY_LATER, smtp_stand_in

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
CONTEXT = {
    "message_id": "CAF3x9-q1@mail.example.ru",
    "references": "first@mail.example.ru CAF3x0-q0@mail.example.ru",
    "subject": "RE: Re[2]: Заявка на поставку",
    "from": "Иван Петров <ivan.petrov@example.ru>",
    "date": "2026-12-06T18:42:00+03:00",
    "quote": "Добрый день!\n\nНужно 40 штук к пятнице.\nИван",
}


def mailbox(**changes: Any) -> EmailMailboxSettings:
    fields: dict[str, Any] = {
        "name": "sales",
        "host": "127.0.0.1",
        "login": "sales@company.example",
        "password": "imap-secret",
        "address": "sales@company.example",
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "smtp_port": 25,
        "smtp_login": "",
    }
    return EmailMailboxSettings(**{**fields, **changes})


def outgoing(key: str = "api:7:k1", **context: str) -> OutgoingText:
    return OutgoingText(
        account="sales",
        address="ivan.petrov@example.ru",
        text="Иван, добрый день! Отгрузим в четверг.",
        idempotency_key=key,
        context={**CONTEXT, **context},
    )


def test_the_reply_threads_under_the_clients_message_and_quotes_it() -> None:
    reply = build_reply(mailbox(), outgoing(), NOW)

    assert reply["From"] == "sales@company.example"
    assert reply["To"].addresses[0].addr_spec == "ivan.petrov@example.ru"
    assert reply["To"].addresses[0].display_name == "Иван Петров"
    assert reply["Subject"] == "Re: Заявка на поставку"
    assert reply["In-Reply-To"] == "<CAF3x9-q1@mail.example.ru>"
    assert reply["References"] == (
        "<first@mail.example.ru> <CAF3x0-q0@mail.example.ru> <CAF3x9-q1@mail.example.ru>"
    )
    assert reply["Message-ID"] == reply_message_id("api:7:k1", "sales@company.example")
    assert reply["Message-ID"].endswith("@company.example>")
    body = reply.get_content()
    assert body == (
        "Иван, добрый день! Отгрузим в четверг.\n"
        "\n"
        "6 декабря 2026 г., Иван Петров <ivan.petrov@example.ru> написал(а):\n"
        "> Добрый день!\n"
        ">\n"
        "> Нужно 40 штук к пятнице.\n"
        "> Иван\n"
    )


def test_a_document_sent_from_a_deal_starts_its_own_thread() -> None:
    message = outgoing(message_id="", subject="", new_subject="Коммерческое предложение № КП-1")

    sent = build_reply(mailbox(), message, NOW)

    assert sent["Subject"] == "Коммерческое предложение № КП-1"
    assert "In-Reply-To" not in sent and "References" not in sent


def test_a_retry_carries_the_same_message_id_and_another_message_another() -> None:
    first = build_reply(mailbox(), outgoing("api:7:k1"), NOW)
    again = build_reply(mailbox(), outgoing("api:7:k1"), NOW.replace(minute=45))
    other = build_reply(mailbox(), outgoing("api:7:k2"), NOW)

    assert first["Message-ID"] == again["Message-ID"]
    assert other["Message-ID"] != first["Message-ID"]


@pytest.mark.parametrize(
    ("original", "subject"),
    [
        ("Заявка на поставку", "Re: Заявка на поставку"),
        ("Re: Заявка", "Re: Заявка"),
        ("RE: Re[3]: AW: Заявка", "Re: Заявка"),
        ("Ответ: Заявка", "Re: Заявка"),
        ("Regarding the offer", "Re: Regarding the offer"),
        ("", "Re:"),
        ("Two\r\n lines", "Re: Two lines"),
    ],
)
def test_the_subject_gets_one_re(original: str, subject: str) -> None:
    assert reply_subject(original) == subject


def test_a_message_without_a_message_id_of_its_own_is_answered_as_a_new_thread() -> None:
    reply = build_reply(mailbox(), outgoing(message_id="sha256:" + "0" * 64), NOW)

    assert reply["In-Reply-To"] is None
    assert reply["References"] is None
    assert reply["Subject"] == "Re: Заявка на поставку"


def test_without_a_quote_only_the_text_is_sent() -> None:
    message = OutgoingText("sales", "ivan.petrov@example.ru", "Спасибо!", "k", {})

    reply = build_reply(mailbox(), message, NOW)

    assert reply.get_content() == "Спасибо!\n"
    assert reply["Subject"] == "Re:"
    assert reply["To"] == "ivan.petrov@example.ru"


async def test_the_server_receives_one_message_from_the_mailbox_to_the_client() -> None:
    async with smtp_stand_in() as server:
        sender = EmailSender([mailbox(smtp_host=server.host, smtp_port=server.port)])

        result = await sender.send(outgoing())

        assert len(server.accepted) == 1
        envelope_from, recipients, _ = server.accepted[0]
        assert (envelope_from, recipients) == ("sales@company.example", ["ivan.petrov@example.ru"])
        [received] = server.messages()
        assert result == Sent(received["Message-ID"].strip("<>"))
        assert received["In-Reply-To"] == "<CAF3x9-q1@mail.example.ru>"
        assert "> Нужно 40 штук к пятнице." in received.get_content()


async def test_a_4xx_answer_is_retried_and_a_5xx_answer_fails_with_the_reason() -> None:
    async with smtp_stand_in() as server:
        server.faults += [TRY_LATER, MAILBOX_UNAVAILABLE]
        sender = EmailSender([mailbox(smtp_host=server.host, smtp_port=server.port)])

        later = await sender.send(outgoing())
        refused = await sender.send(outgoing())

        assert later == Retry(f"SMTP {TRY_LATER}")
        assert isinstance(refused, Failed)
        assert refused.reason == (
            "SMTP 550 5.1.1 <***>: Recipient address rejected: mailbox unavailable"
        )
        assert "ivan.petrov" not in refused.reason  # the address is personal data
        assert server.accepted == []


async def test_an_unreachable_server_is_retried() -> None:
    sender = EmailSender([mailbox(smtp_port=free_port())], timeout=5)

    result = await sender.send(outgoing())

    assert isinstance(result, Retry)
    assert result.reason.startswith("email: SMTP unreachable")


async def test_a_mailbox_without_smtp_or_unknown_fails_without_connecting() -> None:
    sender = EmailSender([mailbox(smtp_host=None)])

    no_smtp = await sender.send(outgoing())
    unknown = await sender.send(
        OutgoingText("support", "ivan.petrov@example.ru", "text", "k", CONTEXT)
    )

    assert isinstance(no_smtp, Failed)
    assert "smtp_host" in no_smtp.reason
    assert unknown == Failed("email: no mailbox 'support' is configured")


def settings_of(tmp_path: Path, mailbox_toml: str, env: dict[str, str]) -> tuple[Any, ...]:
    path = tmp_path / "leadintake.toml"
    text = TEST_CONFIG.format(db=tmp_path / "db.sqlite3") + "\n[[email.mailboxes]]\n"
    path.write_text(text + mailbox_toml, "utf-8")
    mailboxes: tuple[Any, ...] = load_settings(path, environ=env).email_mailboxes
    return mailboxes


def test_smtp_settings_default_to_submission_with_the_imap_login_and_password(
    tmp_path: Path,
) -> None:
    [box] = settings_of(
        tmp_path,
        'name = "sales"\nhost = "imap.example.ru"\nlogin = "sales@company.example"\n'
        'smtp_host = "smtp.example.ru"\n',
        {"LEADINTAKE_EMAIL_SALES_PASSWORD": "imap-secret"},
    )

    assert (box.address, box.smtp_host, box.smtp_port, box.smtp_security) == (
        "sales@company.example",
        "smtp.example.ru",
        587,
        "starttls",
    )
    assert (box.smtp_login, box.smtp_password) == ("sales@company.example", "imap-secret")
    assert box.sent_folder is None
    assert box.can_reply
    assert "imap-secret" not in repr(box)


def test_smtp_settings_of_their_own(tmp_path: Path) -> None:
    [box] = settings_of(
        tmp_path,
        'name = "sales"\nhost = "imap.example.ru"\nlogin = "u123"\n'
        'address = "sales@company.example"\nsmtp_host = "smtp.example.ru"\n'
        'smtp_security = "tls"\nsmtp_login = "relay-user"\nsent_folder = "Отправленные"\n',
        {
            "LEADINTAKE_EMAIL_SALES_PASSWORD": "imap-secret",
            "LEADINTAKE_EMAIL_SALES_SMTP_PASSWORD": "smtp-secret",
        },
    )

    assert (box.smtp_port, box.smtp_login, box.smtp_password, box.sent_folder) == (
        465,
        "relay-user",
        "smtp-secret",
        "Отправленные",
    )


def test_a_mailbox_without_smtp_cannot_reply_and_says_which_setting(tmp_path: Path) -> None:
    boxes = settings_of(
        tmp_path,
        'name = "sales"\nhost = "imap.example.ru"\nlogin = "sales@company.example"\n',
        {"LEADINTAKE_EMAIL_SALES_PASSWORD": "imap-secret"},
    )

    assert not boxes[0].can_reply
    assert "smtp_host" in unavailable(boxes)["sales"]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('login = "u123"\nsmtp_host = "smtp.example.ru"\n', "address"),
        ('login = "u1"\naddress = "not an address"\n', "address"),
        ('login = "a@b.ru"\nsmtp_host = "s"\nsmtp_security = "ssl"\n', "smtp_security"),
        ('login = "a@b.ru"\nsmtp_host = "s"\nsmtp_password = "x"\n', "smtp_password"),
        ('login = "a@b.ru"\nsmtp_host = "s"\nsmtp_password_env = "NOPE"\n', "smtp_password_env"),
    ],
)
def test_bad_smtp_settings_are_refused_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(Exception, match=key):
        settings_of(
            tmp_path,
            'name = "sales"\nhost = "imap.example.ru"\n' + toml,
            {"LEADINTAKE_EMAIL_SALES_PASSWORD": "imap-secret"},
        )


async def test_a_file_goes_as_a_mime_attachment_below_the_threaded_reply() -> None:
    content = b"%PDF-1.4 smeta \x00\xff"
    message = OutgoingText(
        account="sales",
        address="ivan.petrov@example.ru",
        text="Смета во вложении.",
        idempotency_key="api:7:file",
        context=CONTEXT,
        attachments=(OutgoingFile("Смета.pdf", "application/pdf", content),),
    )
    async with smtp_stand_in() as server:
        sender = EmailSender([mailbox(smtp_host=server.host, smtp_port=server.port)])

        assert isinstance(await sender.send(message), Sent)

    [received] = server.messages()
    assert received.get_content_type() == "multipart/mixed"
    assert received["In-Reply-To"] == "<CAF3x9-q1@mail.example.ru>"
    body = received.get_body(("plain",))
    assert body is not None and "Смета во вложении." in body.get_content()
    [attached] = list(received.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == (
        "Смета.pdf",
        "application/pdf",
    )
    assert attached.get_content() == content
