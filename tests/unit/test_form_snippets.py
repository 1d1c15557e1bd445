"""A form's snippet and secret: the HTML a site pastes, the secret generated and never shown
back in full, and a masked secret written back keeping the stored one."""

from __future__ import annotations

from config.abuse_settings import FormAbuseSettings
from config.settings import FormSettings
from intake.form_snippets import SECRET_PLACEHOLDER, mask, snippet, with_secret


def form(**changes: object) -> FormSettings:
    base: dict[str, object] = {
        "key": "promo",
        "name": "Промо",
        "secret": None,
        "secret_header": "X-Api-Key",
        "secret_field": "api_key",
        "field_map": {},
        "honeypot_fields": ("hp_website",),
        "consent_text_version": "pd-1",
        "redirect_url": None,
        "allowed_redirect_hosts": (),
        "queue": "main",
        "pipeline": "main",
    }
    return FormSettings(**{**base, **changes})  # type: ignore[arg-type]


def test_the_html_posts_the_built_in_fields_to_the_forms_url() -> None:
    found = snippet(form(), "https://crm.example.ru/")
    assert found.action == "https://crm.example.ru/api/v1/forms/promo"
    assert found.tilda_webhook_url == found.action
    for part in (
        '<form action="https://crm.example.ru/api/v1/forms/promo" method="post"',
        'name="phone"',
        'name="consent" value="yes" required',
        '<input type="hidden" name="consent_version" value="pd-1">',
        'name="hp_website" tabindex="-1"',
    ):
        assert part in found.html
    assert "api_key" not in found.html and found.secret_field is None


def test_a_form_with_a_secret_has_no_public_html_and_says_why() -> None:
    secured = form(secret="s" * 32, consent_text_version='"><script>')
    found = snippet(secured, "http://x")
    assert found.html == "" and not found.public_html
    assert "s" * 32 not in str(found) and "<script>" not in str(found)
    assert found.warning is not None and "api_key" in found.warning
    assert "с сервера на сервер" in found.warning and "Тильды" in found.warning
    assert found.server_example is not None
    assert f"-H 'X-Api-Key: {SECRET_PLACEHOLDER}'" in found.server_example
    assert (found.secret_field, found.secret_header) == ("api_key", "X-Api-Key")
    public = snippet(form(), "http://x")
    assert public.public_html and public.warning is None and public.server_example is None


def test_a_captcha_form_carries_the_widget_that_adds_its_token() -> None:
    found = snippet(form(abuse=FormAbuseSettings(smartcaptcha=True)), "http://x")
    assert 'class="smart-captcha" data-sitekey=' in found.html
    assert "smartcaptcha.yandexcloud.net/captcha.js" in found.html
    assert "smart-captcha" not in snippet(form(), "http://x").html


def test_a_masked_secret_written_back_keeps_the_stored_one() -> None:
    stored = "a-long-stored-secret-1234"
    doc, generated = with_secret({"key": "f", "secret": mask(stored)}, stored)
    assert doc["secret"] == stored and generated is None
    doc, generated = with_secret({"key": "f", "secret": "typed-anew-secret"}, stored)
    assert doc["secret"] == "typed-anew-secret"
    doc, generated = with_secret({"key": "f", "generate_secret": True}, stored)
    assert generated is not None and doc["secret"] == generated and len(generated) == 32
    assert "generate_secret" not in doc
    assert mask(stored) == "••••1234" and mask("short") == "••••"
