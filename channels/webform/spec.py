"""What the webform adapter needs to know about one configured form, and the channel's manifest.

The forms themselves (`[[forms]]`) are core configuration read with the queues and
pipelines they name (config/settings.py), so the spec declares no settings section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.model import InboundEvent
from channels.spec import ChannelSpec, Route, ShellRef

DEFAULT_HONEYPOT_FIELDS: tuple[str, ...] = ("_gotcha", "_honeypot", "hp_website")
# Form services whose JSON the adapter maps without a field_map (`preset = "yandex_forms"`).
PRESETS: tuple[str, ...] = ("yandex_forms",)


@dataclass(frozen=True, slots=True)
class FormSpec:
    """One website form as configured: key, secret, field mapping, honeypot, consent, redirect."""

    key: str
    name: str
    secret: str | None = None
    secret_header: str = "X-Api-Key"  # noqa: S105 - a header name, not a secret
    secret_field: str = "api_key"  # noqa: S105 - a field name, not a secret
    # submitted field name (matched case-insensitively) -> canonical field name
    field_map: dict[str, str] = field(default_factory=dict)
    honeypot_fields: tuple[str, ...] = DEFAULT_HONEYPOT_FIELDS
    consent_text_version: str | None = None
    redirect_url: str | None = None
    allowed_redirect_hosts: tuple[str, ...] = ()
    # A built-in mapping of a form service's own JSON (PRESETS), or None for plain fields.
    preset: str | None = None


@dataclass(frozen=True, slots=True)
class TildaTestPing:
    """Tilda's `test=test` webhook check: answer 200, create nothing."""


@dataclass(frozen=True, slots=True)
class HoneypotTripped:
    """A hidden honeypot field was filled in: a bot. Answer 200, create nothing."""

    field: str


@dataclass(frozen=True, slots=True)
class AcceptedSubmission:
    """A valid submission: the event to persist, the raw fields, and where to redirect."""

    event: InboundEvent
    payload: dict[str, list[str]]
    redirect_url: str | None = None


SubmissionOutcome = TildaTestPing | HoneypotTripped | AcceptedSubmission


SPEC = ChannelSpec(
    name="webform",
    routes=(Route("POST", "/api/v1/forms/{form_key}", ShellRef("intake.http.forms:post_form")),),
    openapi=(ShellRef("intake.http.openapi_forms:FORM_OPERATIONS"),),
    # Forms carry phones and e-mails; these are the messenger contacts a form may name.
    identity_kinds=("telegram_username", "vk", "whatsapp"),
)
