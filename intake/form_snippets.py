"""What a head pastes into the site for a form: an HTML form and the Tilda webhook URL; and
the form's secret, generated here and never shown back in full.

The HTML posts the built-in field names (name, phone, email, comment, consent,
consent_version), which every form understands whatever its `field_map`; a honeypot field
hidden off-screen; the secret, when the form has one, as its `secret_field` (a secret in a
page's HTML is visible to anyone reading the page: it keeps stray posts out, the honeypot and
the rate limit keep bots out). Tilda posts to the same URL with its own field names (Name,
Phone, Email: matched case-insensitively) and its API key as the header or field the form
names.
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


@dataclass(frozen=True, slots=True)
class Snippet:
    """The paste-ready pieces of one form."""

    key: str
    action: str
    html: str
    tilda_webhook_url: str
    secret_field: str | None
    secret_header: str | None
    secret_in_html: bool


def form_url(public_url: str, key: str) -> str:
    """Where the form posts: the service's public URL + /api/v1/forms/<key>."""
    return f"{public_url.rstrip('/')}/api/v1/forms/{key}"


def snippet(form: FormSettings, public_url: str, secret: str | None = None) -> Snippet:
    """The form's snippet; `secret` in full only right after it was generated (otherwise the
    HTML holds a placeholder to replace)."""
    action = form_url(public_url, form.key)
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
    if form.secret is not None:
        value = secret if secret is not None else SECRET_PLACEHOLDER
        lines.append(
            f'  <input type="hidden" name="{escape(form.secret_field)}" value="{escape(value)}">'
        )
    lines += ['  <button type="submit">Отправить</button>', "</form>"]
    return Snippet(
        key=form.key,
        action=action,
        html="\n".join(lines) + "\n",
        tilda_webhook_url=action,
        secret_field=form.secret_field if form.secret is not None else None,
        secret_header=form.secret_header if form.secret is not None else None,
        secret_in_html=form.secret is not None and secret is not None,
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
