"""What a head pastes into the site for a form: an HTML form and the Tilda webhook URL; and
the form's secret, generated here and never shown back in full.

The HTML posts the built-in field names (name, phone, email, comment, consent,
consent_version), which every form understands whatever its `field_map`; a honeypot field
hidden off-screen; the SmartCaptcha widget when the form requires a captcha token. A form
with a secret accepts only submissions carrying it (intake/http/forms.py answers 401
otherwise), and a secret in a public page's HTML is readable by every visitor: such a form
gets no public HTML form, only the server-to-server ways (Tilda's webhook with the secret as
its API key, or the site's backend posting with the secret header) and a warning saying to
use a form without a secret, kept out of bots by the honeypot, captcha and rate limit, on a
public page. Tilda posts to the same URL with its own field names (Name, Phone, Email:
matched case-insensitively).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from config.settings import FormSettings

SECRET_PLACEHOLDER = "СЕКРЕТ_ФОРМЫ"  # noqa: S105 - a placeholder the head replaces
MASK = "••••"
GENERATE = "generate_secret"
CAPTCHA_CLIENT_KEY_PLACEHOLDER = "КЛЮЧ_КЛИЕНТА_SMARTCAPTCHA"
CAPTCHA_SCRIPT = "https://smartcaptcha.yandexcloud.net/captcha.js"


@dataclass(frozen=True, slots=True)
class Snippet:
    """The paste-ready pieces of one form."""

    key: str
    action: str
    html: str
    tilda_webhook_url: str
    secret_field: str | None
    secret_header: str | None
    # Only for a form without a secret: one with a secret refuses a browser's post.
    public_html: bool
    warning: str | None
    server_example: str | None


def form_url(public_url: str, key: str) -> str:
    """Where the form posts: the service's public URL + /api/v1/forms/<key>."""
    return f"{public_url.rstrip('/')}/api/v1/forms/{key}"


def snippet(form: FormSettings, public_url: str) -> Snippet:
    """The form's snippet: a public HTML form for a form without a secret; for one with a
    secret, the server-to-server request instead (the secret as a placeholder) and why."""
    action = form_url(public_url, form.key)
    secured = form.secret is not None
    return Snippet(
        key=form.key,
        action=action,
        html="" if secured else _html(form, action),
        tilda_webhook_url=action,
        secret_field=form.secret_field if secured else None,
        secret_header=form.secret_header if secured else None,
        public_html=not secured,
        warning=_secret_warning(form) if secured else None,
        server_example=_server_example(form, action) if secured else None,
    )


def _html(form: FormSettings, action: str) -> str:
    lines = [
        f'<form action="{escape(action)}" method="post" accept-charset="utf-8">',
        '  <input type="text" name="name" placeholder="Имя" autocomplete="name">',
        '  <input type="tel" name="phone" placeholder="Телефон" autocomplete="tel" required>',
        '  <input type="email" name="email" placeholder="E-mail" autocomplete="email">',
        '  <textarea name="comment" placeholder="Комментарий"></textarea>',
        '  <label><input type="checkbox" name="consent" value="yes" required>'
        " Я согласен на обработку персональных данных</label>",
    ]
    if form.consent_text_version:
        lines.append(
            '  <input type="hidden" name="consent_version"'
            f' value="{escape(form.consent_text_version)}">'
        )
    if form.honeypot_fields:
        lines.append(
            '  <div style="position:absolute;left:-10000px" aria-hidden="true">'
            f'<input type="text" name="{escape(form.honeypot_fields[0])}" tabindex="-1"'
            ' autocomplete="off"></div>'
        )
    if form.abuse.smartcaptcha:
        # The widget adds the `smart-token` field the service checks with the server key.
        lines += [
            f'  <div class="smart-captcha" data-sitekey="{CAPTCHA_CLIENT_KEY_PLACEHOLDER}"></div>',
            f'  <script src="{CAPTCHA_SCRIPT}" defer></script>',
        ]
    lines += ['  <button type="submit">Отправить</button>', "</form>"]
    return "\n".join(lines) + "\n"


def _secret_warning(form: FormSettings) -> str:
    return (
        "У формы задан секрет: сервис принимает заявки с неё только вместе с секретом"
        f" (поле {form.secret_field} или заголовок {form.secret_header}). Секрет нужен для"
        " отправки с сервера на сервер — из вебхука Тильды или с бэкенда вашего сайта. В HTML"
        " публичной страницы его класть нельзя: его увидит любой посетитель, открыв код"
        " страницы. Для HTML-формы на сайте добавьте отдельную форму без секрета — её"
        " защищают скрытое поле-ловушка, капча и ограничение частоты заявок."
    )


def _server_example(form: FormSettings, action: str) -> str:
    return (
        f"curl -X POST '{action}' \\\n"
        f"  -H '{form.secret_header}: {SECRET_PLACEHOLDER}' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        """  -d '{"name": "Иван", "phone": "+7 916 000-00-00", "consent": "yes"}'\n"""
    )


def new_secret() -> str:
    """A fresh form secret: 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


def mask(secret: str) -> str:
    """A secret never shown back in full: its last 4 characters at most."""
    return MASK + (secret[-4:] if len(secret) >= 12 else "")


def with_secret(
    body: Mapping[str, Any], current: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """A form body with its secret settled, and the secret generated for it (None if none).

    `generate_secret: true` replaces the secret with a new one; a secret sent back as it was
    shown (masked) keeps the current one, so a document read and written back loses nothing.
    """
    doc = {k: v for k, v in body.items() if k != GENERATE}
    generated = new_secret() if body.get(GENERATE) is True else None
    if generated is not None:
        doc["secret"] = generated
    elif current is not None and doc.get("secret") == mask(current):
        doc["secret"] = current
    return doc, generated
