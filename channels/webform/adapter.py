"""Website form submission → InboundEvent (or a Tilda test ping, or a honeypot hit)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

from channels.errors import ChannelAuthFailed, InvalidSubmission
from channels.model import Attribution, ConsentGiven, InboundEvent, PersonDetails
from channels.webform.const import (
    CANONICAL_BY_ALIAS,
    CHANNEL,
    CONSENT_TRUE,
    IDEMPOTENCY_HEADER,
    REDIRECT_FIELD,
    TILDA_FORM,
    TILDA_TRANSACTION,
    UTM_FIELDS,
)
from channels.webform.decode import decode_body, media_type_and_params
from channels.webform.nested import Pairs
from channels.webform.spec import (
    AcceptedSubmission,
    FormSpec,
    HoneypotTripped,
    SubmissionOutcome,
    TildaTestPing,
)
from channels.webform.tilda import split_cookies
from channels.webform.yandex_forms import PRESET as YANDEX_FORMS
from channels.webform.yandex_forms import map_yandex_forms

MESSENGER_FIELDS = ("telegram_username", "vk", "whatsapp")
UNREACHABLE = (
    "no way to reach the person: expected at least one of the fields phone, email"
    " (or telegram, vk, whatsapp)"
)


def parse_submission(
    spec: FormSpec,
    *,
    content_type: str,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime,
    new_id: Callable[[], str],
) -> SubmissionOutcome:
    """Decode, authenticate and map one submission of a configured form."""
    pairs = decode_body(content_type, body)
    _check_secret(spec, pairs, headers)
    pairs = [(k, v) for k, v in pairs if k != spec.secret_field]
    if _is_tilda_test(pairs):
        return TildaTestPing()
    for name, value in pairs:
        if name in spec.honeypot_fields and value.strip():
            return HoneypotTripped(field=name)
    pairs, cookie_utm = split_cookies(pairs)
    preset_map: dict[str, str] = {}
    if spec.preset == YANDEX_FORMS:
        mapped = map_yandex_forms(pairs, lambda name: CANONICAL_BY_ALIAS.get(_fold(name)))
        pairs, preset_map = mapped.pairs, mapped.field_map
    canonical = _canonical_values(spec, pairs, preset_map)
    for key, tag in cookie_utm.items():
        canonical.setdefault(key, [tag])  # a utm_* field of the form itself wins
    person = _person(canonical)
    if not person.reachable():
        raise InvalidSubmission("phone", UNREACHABLE)
    raw_fields = [(k, v) for k, v in pairs if k not in spec.honeypot_fields]
    event = InboundEvent(
        channel=CHANNEL,
        source=spec.key,
        external_id=f"{spec.key}:{_external_id(pairs, canonical, headers, new_id)}",
        received_at=received_at,
        person=person,
        comment=_first(canonical, "comment"),
        attribution=Attribution(
            utm={k: v for k in UTM_FIELDS if (v := _first(canonical, k))},
            page_url=_first(canonical, "page_url"),
            referrer=_first(canonical, "referrer"),
        ),
        consent=_consent(spec, canonical),
        fields=_flatten(raw_fields),
        meta=_meta(pairs, content_type),
    )
    return AcceptedSubmission(
        event=event, payload=_grouped(pairs), redirect_url=_redirect(spec, pairs)
    )


def _check_secret(spec: FormSpec, pairs: Pairs, headers: Mapping[str, str]) -> None:
    if spec.secret is None:
        return
    expected = spec.secret.encode()
    offered = [_header(headers, spec.secret_header)] + [
        v for k, v in pairs if k == spec.secret_field
    ]
    if not any(o is not None and hmac.compare_digest(o.encode(), expected) for o in offered):
        raise ChannelAuthFailed("missing or wrong API key")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _is_tilda_test(pairs: Pairs) -> bool:
    return pairs == [("test", "test")]


def _fold(name: str) -> str:
    return name.strip().casefold().replace("-", "_").replace(" ", "_")


def _canonical_values(
    spec: FormSpec, pairs: Pairs, preset_map: Mapping[str, str]
) -> dict[str, list[str]]:
    """Canonical field name → every non-blank value submitted under its names.

    The form's own `field_map` wins over its preset's, which wins over the built-in aliases.
    Nested JSON arrives as dotted names (`answers.phone`), matched as written.
    """
    custom = {_fold(k): v for k, v in {**preset_map, **spec.field_map}.items()}
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        folded = _fold(name)
        canonical = custom.get(folded) or CANONICAL_BY_ALIAS.get(folded)
        if canonical and value.strip():
            values.setdefault(canonical, []).append(value.strip())
    return values


def _first(values: dict[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0] if found else None


def _person(values: dict[str, list[str]]) -> PersonDetails:
    return PersonDetails(
        name=_first(values, "name"),
        first_name=_first(values, "first_name"),
        last_name=_first(values, "last_name"),
        patronymic=_first(values, "patronymic"),
        phone=_first(values, "phone"),
        email=_first(values, "email"),
        company=_first(values, "company"),
        position=_first(values, "position"),
        messenger_ids={
            kind: value for kind in MESSENGER_FIELDS if (value := _first(values, kind)) is not None
        },
    )


def _external_id(
    pairs: Pairs,
    values: dict[str, list[str]],
    headers: Mapping[str, str],
    new_id: Callable[[], str],
) -> str:
    tranid = next((v.strip() for k, v in pairs if k == TILDA_TRANSACTION and v.strip()), None)
    header = (_header(headers, IDEMPOTENCY_HEADER) or "").strip()
    return tranid or header or _first(values, "submission_id") or new_id()


def _consent(spec: FormSpec, values: dict[str, list[str]]) -> ConsentGiven | None:
    raw = _first(values, "consent")
    if raw is None:
        return None
    return ConsentGiven(
        given=raw.casefold() in CONSENT_TRUE,
        text_version=_first(values, "consent_version") or spec.consent_text_version,
        raw_value=raw,
    )


def _flatten(pairs: Pairs) -> dict[str, str]:
    return {name: ", ".join(values) for name, values in _grouped(pairs).items()}


def _grouped(pairs: Pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _meta(pairs: Pairs, content_type: str) -> dict[str, str]:
    meta = {"content_type": media_type_and_params(content_type)[0]}
    for key in (TILDA_FORM, TILDA_TRANSACTION):
        value = next((v.strip() for k, v in pairs if k == key and v.strip()), None)
        if value:
            meta[key] = value
    return meta


def _redirect(spec: FormSpec, pairs: Pairs) -> str | None:
    if spec.redirect_url:
        return spec.redirect_url
    wanted = next((v.strip() for k, v in pairs if k == REDIRECT_FIELD and v.strip()), None)
    if wanted is None:
        return None
    parts = urlsplit(wanted)
    allowed = parts.scheme in ("http", "https") and parts.hostname in spec.allowed_redirect_hosts
    return wanted if allowed else None
