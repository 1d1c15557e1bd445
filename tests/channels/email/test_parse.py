"""E-mail parser: small raw messages built here → MailLead or NotALead, never an exception."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import UTC, datetime

import pytest

from channels.email.body import html_to_text
from channels.email.const import (
    NOT_A_LEAD_AUTO_REPLY,
    NOT_A_LEAD_BOUNCE,
    NOT_A_LEAD_BULK,
    NOT_A_LEAD_MAILING_LIST,
    NOT_A_LEAD_UNREADABLE,
)
from channels.email.parse import (
    MailLead,
    NotALead,
    ParsedMail,
    parse_message,
    read_mail,
)

RECEIVED_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def _mail(
    body: bytes = b"Hello, I need a quote.",
    *,
    headers: bytes = b"",
    content_type: bytes = b"text/plain; charset=utf-8",
    sender: bytes = b"Ivan Petrov <ivan@example.ru>",
    subject: bytes = b"Quote",
    message_id: bytes | None = b"<abc123@example.ru>",
) -> bytes:
    lines = [b"From: " + sender, b"To: sales@ourshop.ru", b"Subject: " + subject]
    lines.append(b"Date: Fri, 13 Mar 2026 10:15:00 +0300")
    if message_id is not None:
        lines.append(b"Message-ID: " + message_id)
    lines += [b"MIME-Version: 1.0", b"Content-Type: " + content_type]
    head = b"\r\n".join(lines) + b"\r\n" + headers
    return head + b"\r\n" + body


def _parse(raw: bytes) -> ParsedMail:
    return parse_message(raw, mailbox="sales@ourshop.ru", received_at=RECEIVED_AT)


def _lead(raw: bytes) -> MailLead:
    result = _parse(raw)
    assert isinstance(result, MailLead), result
    return result


def test_plain_message_becomes_an_email_event() -> None:
    lead = _lead(_mail())
    event = lead.event
    assert (event.channel, event.source, event.external_id) == (
        "email",
        "sales@ourshop.ru",
        "abc123@example.ru",
    )
    assert event.received_at == RECEIVED_AT
    assert (event.person.name, event.person.email) == ("Ivan Petrov", "ivan@example.ru")
    assert event.comment == "Hello, I need a quote."
    assert event.meta["subject"] == "Quote"
    assert event.meta["message_id"] == "abc123@example.ru"
    assert event.meta["date"] == "2026-03-13T10:15:00+03:00"
    assert "thread_reply" not in event.meta
    assert (lead.in_reply_to, lead.references) == (None, ())


def test_rfc2047_words_in_any_charset_are_decoded() -> None:
    subject = b"=?koi8-r?B?" + base64.b64encode("Заявка".encode("koi8-r")) + b"?="
    sender = b"=?windows-1251?Q?" + b"".join(b"=%02X" % byte for byte in "Иван".encode("cp1251"))
    raw = _mail(sender=sender + b"?= <ivan@example.ru>", subject=subject)
    event = _lead(raw).event
    assert event.meta["subject"] == "Заявка"
    assert event.person.name == "Иван"


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "utf-8"])
def test_body_in_declared_cyrillic_charset(charset: str) -> None:
    text = "Добрый день! Нужен счёт на 10 кресел."
    raw = _mail(text.encode(charset), content_type=f"text/plain; charset={charset}".encode())
    assert _lead(raw).event.comment == text


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r"])
def test_8bit_body_without_charset_is_guessed(codec: str) -> None:
    text = "Здравствуйте, пришлите прайс на поставку оборудования"
    raw = _mail(text.encode(codec), content_type=b"text/plain")
    assert _lead(raw).event.comment == text


def test_raw_8bit_koi8r_subject_is_guessed() -> None:
    raw = _mail(subject="тест заявки".encode("koi8_r"), content_type=b"text/plain")
    assert _lead(raw).event.meta["subject"] == "тест заявки"


def test_html_only_becomes_text() -> None:
    html = (
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        b"<body><p>Hello &amp; welcome</p><div>Line&nbsp;two<br>Line three</div>"
        b"<ul><li>One</li><li>Two</li></ul></body></html>"
    )
    event = _lead(_mail(html, content_type=b"text/html; charset=utf-8")).event
    assert event.comment == "Hello & welcome\nLine two\nLine three\nOne\nTwo"


def test_html_to_text_marks_blockquotes_as_quotes() -> None:
    assert html_to_text("<p>Yes</p><blockquote>old<br>text</blockquote>") == ("Yes\n> old\n> text")


def test_signature_phones_with_extension_and_company() -> None:
    body = (
        "Добрый день! Интересует поставка 20 столов.\n\n"
        "С уважением,\n"
        "Иван Петров\n"
        "ООО «Ромашка»\n"
        "тел. +7 (495) 123-45-67 доб. 123\n"
        "моб. 8 916 765-43-21\n"
    ).encode()
    event = _lead(_mail(body)).event
    assert event.fields["signature_phones"] == "+7 (495) 123-45-67 доб. 123, 8 916 765-43-21"
    assert event.person.company == "ООО «Ромашка»"
    assert "Иван Петров" in (event.comment or "")


def test_no_company_is_invented() -> None:
    body = b"Hi, how much is it?\n\n-- \nJohn\n+1 555 010 0199\n"
    event = _lead(_mail(body)).event
    assert event.person.company is None
    assert event.fields["signature_phones"] == "+1 555 010 0199"


def test_tax_numbers_and_dates_are_not_phones() -> None:
    body = "Счёт от 12.03.2026\n\nС уважением,\nИНН 7701234567\nКПП 770101001\n".encode()
    assert read_mail(_mail(body)).phones == ()


def test_reply_to_wins_and_both_are_kept() -> None:
    raw = _mail(headers=b"Reply-To: Maria <maria@client.ru>\r\n")
    event = _lead(raw).event
    assert (event.person.name, event.person.email) == ("Maria", "maria@client.ru")
    assert event.meta["from"] == "Ivan Petrov <ivan@example.ru>"
    assert event.meta["reply_to"] == "Maria <maria@client.ru>"


def test_no_reply_reply_to_is_not_the_person() -> None:
    raw = _mail(headers=b"Reply-To: <no-reply@example.ru>\r\n")
    assert _lead(raw).event.person.email == "ivan@example.ru"


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        (b"Auto-Submitted: auto-replied\r\n", b"Re: Quote"),
        (b"X-Autoreply: yes\r\n", b"Re: Quote"),
        (b"X-Autorespond: yes\r\n", b"Re: Quote"),
        (b"Precedence: auto_reply\r\n", b"Re: Quote"),
        (b"", b"Out of Office: Quote"),
        (b"", "Автоответ: Quote".encode()),
    ],
)
def test_auto_replies_are_not_leads(headers: bytes, subject: bytes) -> None:
    result = _parse(_mail(headers=headers, subject=subject))
    assert result == NotALead(NOT_A_LEAD_AUTO_REPLY, "abc123@example.ru")


def test_auto_submitted_no_is_a_person() -> None:
    assert isinstance(_parse(_mail(headers=b"Auto-Submitted: no\r\n")), MailLead)


def test_delivery_status_report_is_a_bounce() -> None:
    body = (
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.ru\r\n\r\nAction: failed\r\n--b--\r\n"
    )
    ctype = b'multipart/report; report-type=delivery-status; boundary="b"'
    raw = _mail(body, content_type=ctype, sender=b"someone@example.ru")
    assert _parse(raw) == NotALead(NOT_A_LEAD_BOUNCE, "abc123@example.ru")


def test_mailer_daemon_is_a_bounce() -> None:
    raw = _mail(sender=b"Mail Delivery System <MAILER-DAEMON@mx.example.ru>")
    assert isinstance(result := _parse(raw), NotALead)
    assert result.reason == NOT_A_LEAD_BOUNCE


def test_list_mail_is_not_a_lead() -> None:
    raw = _mail(headers=b"List-Id: <sales.lists.example.ru>\r\n")
    assert _parse(raw) == NotALead(NOT_A_LEAD_MAILING_LIST, "abc123@example.ru")
    raw = _mail(headers=b"List-Unsubscribe: <mailto:u@example.ru>\r\nPrecedence: bulk\r\n")
    assert _parse(raw) == NotALead(NOT_A_LEAD_BULK, "abc123@example.ru")


def test_missing_message_id_uses_a_hash_of_the_raw_bytes() -> None:
    raw = _mail(message_id=None)
    lead = _lead(raw)
    expected = "sha256:" + hashlib.sha256(raw).hexdigest()
    assert lead.message_id == lead.event.external_id == expected


def test_message_id_is_normalised() -> None:
    lead = _lead(_mail(message_id=b"  < abc@ex ample.ru >  "))
    assert lead.message_id == "abc@example.ru"


def test_thread_reply_keeps_ids_and_drops_quoted_history() -> None:
    body = (
        b"Yes, please send the invoice.\r\n\r\n"
        b"On Fri, 13 Mar 2026 at 10:00, Sales <sales@ourshop.ru> wrote:\r\n"
        b"> Shall we send an invoice? Call +7 495 000-00-00\r\n"
    )
    headers = b"In-Reply-To: <q1@ourshop.ru>\r\nReferences: <q0@ourshop.ru> <q1@ourshop.ru>\r\n"
    lead = _lead(_mail(body, headers=headers, subject=b"Re: Quote"))
    assert lead.in_reply_to == "q1@ourshop.ru"
    assert lead.references == ("q0@ourshop.ru", "q1@ourshop.ru")
    assert lead.event.meta["thread_reply"] == "true"
    assert lead.event.comment == "Yes, please send the invoice."
    assert "signature_phones" not in lead.event.fields


def test_original_message_block_is_cut() -> None:
    body = b"Agreed.\r\n\r\n-----Original Message-----\r\nFrom: Sales\r\nOld text\r\n"
    assert _lead(_mail(body)).event.comment == "Agreed."


def test_forwarded_message_content_is_kept() -> None:
    body = (
        "Смотрите заявку ниже.\n\n"
        "-------- Пересылаемое сообщение --------\n"
        "От: Клиент <client@example.ru>\n"
        "Тема: Заявка\n\n"
        "Нужно 5 шкафов, звоните 8 (912) 345-67-89\n"
    ).encode()
    content = read_mail(_mail(body))
    assert "Нужно 5 шкафов" in content.text
    assert content.phones == ("8 (912) 345-67-89",)


def test_comment_is_capped() -> None:
    event = _lead(_mail(b"a" * 10_000)).event
    assert len(event.comment or "") == 4000


def test_attachments_are_listed_by_name_and_type_only() -> None:
    body = (
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="../../spec.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    event = _lead(_mail(body, content_type=b'multipart/mixed; boundary="b"')).event
    assert event.meta["attachments"] == "spec.pdf (application/pdf)"
    assert event.comment == "See attached."


GARBAGE = [
    b"",
    b"\x00\xff\xfe" * 50,
    b"\r\n\r\n\r\n",
    b"From: <>\r\n\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n",
    b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe",
    b"Subject: =?utf-8?B?####?= =?x?Q?=ZZ?=\r\n\r\nbody",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
    + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 200,
    bytes(random.Random(7).randrange(256) for _ in range(5000)),
]


@pytest.mark.parametrize("raw", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises(raw: bytes) -> None:
    result = _parse(raw)
    assert isinstance(result, MailLead | NotALead)


def test_nothing_readable_is_unreadable() -> None:
    assert _parse(b"\x00\xff\xfe") == NotALead(NOT_A_LEAD_UNREADABLE, None)
