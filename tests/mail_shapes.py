"""Raw messages in the shapes real mail comes in, each under its own Message-ID.

Leads: plain text, multipart/alternative (Mail.Ru style), HTML-only, Windows-1251 8-bit,
a forward with the original attached. Not leads: an out-of-office auto-reply and a
MAILER-DAEMON bounce. Addresses and phones are made-up test values.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

# The `shared` folder sits beside the checkout: <root>/main/tests/ → <root>/shared.
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "testing" / "mail-corpus"


def _id() -> str:
    return f"<{uuid.uuid4().hex}@mail.example.ru>"


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def plain(message_id: str | None = None) -> bytes:
    """A short plain-text request with a phone in it."""
    return _crlf(
        f"""From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan.petrov@example.ru>
To: sales@company.example
Subject: =?UTF-8?B?0JfQsNC/0YDQvtGBINGB0YfRkdGC0LA=?=
Date: Tue, 24 Nov 2026 10:15:00 +0300
Message-ID: {message_id or _id()}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Здравствуйте! Пришлите, пожалуйста, счёт на 10 стульев.
Телефон +7 916 123-45-67.
"""
    ).encode("utf-8")


def alternative() -> bytes:
    """multipart/alternative: text/plain and text/html of the same request (Mail.Ru)."""
    html = base64.b64encode(
        "<html><body><p>Добрый день!</p><p>Нужна консультация по доставке.</p>"
        "<p>Мария, +7 (495) 765-43-21</p></body></html>".encode()
    ).decode()
    return _crlf(
        f"""From: =?UTF-8?B?0JzQsNGA0LjRjyDQodC80LjRgNC90L7QstCw?= <maria.s@example.ru>
To: sales@company.example
Subject: =?UTF-8?B?0JrQvtC90YHRg9C70YzRgtCw0YbQuNGP?=
Date: Tue, 24 Nov 2026 11:00:00 +0300
Message-ID: {_id()}
MIME-Version: 1.0
X-Mailer: Mail.Ru Mailer 1.0
Content-Type: multipart/alternative; boundary="----ALT"

------ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Добрый день!
Нужна консультация по доставке.
Мария, +7 (495) 765-43-21
------ALT
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{html}
------ALT--
"""
    ).encode("utf-8")


def html_only() -> bytes:
    """An HTML-only message (no text part), quoted-printable."""
    return _crlf(
        f"""From: Oleg <oleg@example.com>
To: sales@company.example
Subject: Price request
Date: Tue, 24 Nov 2026 12:00:00 +0000
Message-ID: {_id()}
MIME-Version: 1.0
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><body><div>Hello, please send the price list for <b>50 units</b>.=
</div><div>Oleg, +44 20 7946 0958</div></body></html>
"""
    ).encode("ascii")


def cp1251() -> bytes:
    """Windows-1251 in 8-bit, headers as RFC 2047 words of the same charset (Outlook)."""
    subject = base64.b64encode("Заказ оборудования".encode("cp1251")).decode()
    name = base64.b64encode("Сергей Кузнецов".encode("cp1251")).decode()
    head = _crlf(
        f"""From: =?windows-1251?B?{name}?= <kuznetsov@example.ru>
To: sales@company.example
Subject: =?windows-1251?B?{subject}?=
Date: Tue, 24 Nov 2026 13:00:00 +0300
Message-ID: {_id()}
MIME-Version: 1.0
X-Mailer: Microsoft Outlook 16.0
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: 8bit

"""
    ).encode("ascii")
    return head + _crlf("Прошу выставить счёт на оборудование.\nТел. 8 (812) 555-12-34\n").encode(
        "cp1251"
    )


def forwarded() -> bytes:
    """A forward: a note on top and the customer's original attached as message/rfc822."""
    return _crlf(
        f"""From: Manager <manager@company.example>
To: sales@company.example
Subject: Fwd: =?UTF-8?B?0JfQsNC/0YDQvtGBINGB0YfRkdGC0LA=?=
Date: Tue, 24 Nov 2026 14:00:00 +0300
Message-ID: {_id()}
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Type: multipart/mixed; boundary="------------FWD"

This is a multi-part message in MIME format.
--------------FWD
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Коллеги, возьмите в работу, клиент ждёт звонка.

--------------FWD
Content-Type: message/rfc822; name="request.eml"
Content-Disposition: attachment; filename="request.eml"

From: Anna Volkova <anna.volkova@example.ru>
To: manager@company.example
Subject: Request
Message-ID: {_id()}
Content-Type: text/plain; charset=UTF-8

Please call me back: +7 903 111-22-33.

--------------FWD--
"""
    ).encode("utf-8")


def auto_reply() -> bytes:
    """An out-of-office answer (Auto-Submitted: auto-replied, Exchange style subject)."""
    return _crlf(
        f"""From: Petr Sidorov <p.sidorov@example.ru>
To: sales@company.example
Subject: Automatic reply: Your order
Date: Tue, 24 Nov 2026 15:00:00 +0300
Message-ID: {_id()}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

I am out of the office until December 1st.
"""
    ).encode("utf-8")


def bounce() -> bytes:
    """A MAILER-DAEMON delivery status notification (multipart/report)."""
    return _crlf(
        f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.ru>
To: sales@company.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 24 Nov 2026 16:00:00 +0300
Message-ID: {_id()}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNCE"

--BOUNCE
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.ru.
I'm sorry to have to inform you that your message could not be delivered.

--BOUNCE
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.ru
Final-Recipient: rfc822; nobody@example.ru
Action: failed
Status: 5.1.1

--BOUNCE--
"""
    ).encode("utf-8")


LEAD_SHAPES = (plain, alternative, html_only, cp1251, forwarded)
NOT_LEAD_SHAPES = (auto_reply, bounce)


def leads(count: int) -> list[bytes]:
    """`count` lead-making messages, cycling through the shapes, each its own Message-ID."""
    return [LEAD_SHAPES[i % len(LEAD_SHAPES)]() for i in range(count)]
