"""Настройки → Формы: the head connects a site form in a minute: the list with each form's
queue, pipeline and last submission; add, edit and delete a form; the snippet to paste into
the site (an HTML form and the Tilda webhook URL) and a secret shown once when generated.

Every rule lives in `intake.settings_changes` and the config checker, as for the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from crm_core.access import may_change_settings
from crm_core.errors import DomainError
from crm_core.model import Manager
from crm_core.storage.ports import FormSubmission, StoredSetting
from intake.bootstrap import Services
from intake.form_snippets import mask, snippet, with_secret
from intake.form_submissions import ACCEPTED, TEST, forget_form, last_submissions
from intake.http.keys import SERVICES
from intake.settings_changes import (
    STALE,
    create_document,
    delete_document,
    get_document,
    list_documents,
    update_document,
)
from workplace.pages.shared import local_time, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/forms"
KIND = "forms"
HEADS_ONLY = "Настройки доступны только руководителю отдела продаж."
DEFAULT_HONEYPOTS = "_gotcha, _honeypot, hp_website"
KEY_RULE = (
    "Ключ попадает в адрес формы: только строчные латинские буквы, цифры, «_» и «-»,"
    " до 64 символов, например site-main."
)
# A refusal's field → the page's field it is shown next to.
FIELD_OF = {"key": "key", "login": "key", "name": "name", "queue": "queue"}
FIELD_OF |= {
    "pipeline": "pipeline",
    "field_map": "field_map",
    "honeypot_fields": "honeypot_fields",
    "consent_text_version": "consent_text_version",
    "redirect_url": "redirect_url",
    "secret": "secret",
    "version": "form",
}
REASONS = {
    "bad_secret": "неверный секрет",
    "honeypot": "заполнено поле-ловушка для ботов",
    "rate_limited": "превышен лимит частоты",
    "captcha": "капча не пройдена",
    "invalid": "неверные данные",
    "malformed": "тело запроса не разобрано",
    "unsupported_media_type": "неподдерживаемый формат данных",
    "too_large": "слишком большой запрос",
    "idempotency_conflict": "повтор с другими данными",
}
# «Секрет» choices: none, keep the current one, a new one (shown once), or remove it.
NEW_SECRET = "new"  # noqa: S105 - a choice, not a secret
KEEP_SECRET = "keep"  # noqa: S105 - a choice, not a secret
_MAP_LINE = re.compile(r"\s*(.+?)\s*(?:=|→|->)\s*(\S+)\s*")


async def list_page(request: web.Request) -> web.StreamResponse:
    """Every form with its queue, pipeline and last submission, and the new-form fields."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    deleted = request.query.get("deleted")
    notice = f"Форма «{deleted}» удалена." if deleted else None
    return await _list(request, me, _blank(), {}, notice=notice)


async def create(request: web.Request) -> web.StreamResponse:
    """«Добавить форму»: the form's page with its snippet (and its secret, shown this once),
    or the list again with the refusal next to its field."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    posted = await request.post()
    values = _values(posted)
    services = request.app[SERVICES]
    try:
        doc = _document(values)
        body, secret = with_secret(
            {**doc, "generate_secret": values["secret_action"] == NEW_SECRET}
        )
        stored = await create_document(services, me, KIND, body)
    except DomainError as err:
        return await _list(request, me, values, _errors(err), status=422)
    return await _form_page(request, me, stored, secret=secret, created=True)


async def form_page(request: web.Request) -> web.StreamResponse:
    """One form: its snippet, last submission, and fields to edit."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    try:
        stored = await get_document(request.app[SERVICES], KIND, request.match_info["key"])
    except DomainError:
        return render(request, "not_found.html", me, {}, status=404)
    saved = "Изменения сохранены." if request.query.get("saved") else None
    return await _form_page(request, me, stored, notice=saved)


async def update(request: web.Request) -> web.StreamResponse:
    """«Сохранить»: the form changed if nobody changed it since the page was read."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key = request.match_info["key"]
    services = request.app[SERVICES]
    try:
        current = await get_document(services, KIND, key)
    except DomainError:
        return render(request, "not_found.html", me, {}, status=404)
    posted = await request.post()
    values = {**_values(posted), "key": key}
    version = posted_version(posted.get("version"))
    try:
        doc = {**_kept(current.data), **_document(values)}
        action = values["secret_action"]
        secret_now = current.data.get("secret")
        if action == KEEP_SECRET and secret_now is not None:
            doc["secret"] = secret_now
        body, secret = with_secret({**doc, "generate_secret": action == NEW_SECRET})
        if version is None:
            raise DomainError("version", STALE, 409)
        stored = await update_document(services, me, KIND, key, body, version)
    except DomainError as err:
        return await _form_page(request, me, current, values=values, errors=_errors(err))
    if secret is not None:
        return await _form_page(request, me, stored, secret=secret, notice="Секрет заменён.")
    raise web.HTTPSeeOther(f"{SECTION}/{key}?saved=1")


async def delete(request: web.Request) -> web.StreamResponse:
    """«Удалить форму» (asked first): back to the list."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    key = request.match_info["key"]
    services = request.app[SERVICES]
    version = posted_version((await request.post()).get("version"))
    try:
        await delete_document(services, me, KIND, key, version)
        await forget_form(services.form_log, services.storage, key)
    except DomainError as err:
        try:
            current = await get_document(services, KIND, key)
        except DomainError:
            return render(request, "not_found.html", me, {}, status=404)
        return await _form_page(request, me, current, errors=_errors(err))
    raise web.HTTPSeeOther(f"{SECTION}?deleted={key}")


def posted_version(raw: object) -> int | None:
    """The version the page was read at (a positive integer), or None."""
    text = raw if isinstance(raw, str) else ""
    return int(text) if text.isascii() and text.isdigit() and int(text) >= 1 else None


async def _list(
    request: web.Request,
    me: Manager,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 200,
    notice: str | None = None,
) -> web.Response:
    services = request.app[SERVICES]
    stored = await list_documents(services, KIND)
    last = await last_submissions(services.form_log, services.storage)
    rows = [
        {
            "key": s.key,
            "name": s.data.get("name", s.key),
            "queue": _queue_name(services, s.data.get("queue")),
            "pipeline": _pipeline_name(services, s.data.get("pipeline")),
            "last": _last_view(last.get(s.key), me),
            "has_secret": "secret" in s.data,
        }
        for s in stored
    ]
    context = {
        "rows": rows,
        "values": values,
        "errors": errors,
        "notice": notice,
        **_choices(services),
        "key_rule": KEY_RULE,
    }
    return render(request, "settings_forms.html", me, context, status=status, section=SECTION)


async def _form_page(
    request: web.Request,
    me: Manager,
    stored: StoredSetting,
    *,
    secret: str | None = None,
    created: bool = False,
    notice: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> web.Response:
    services = request.app[SERVICES]
    form = services.settings.form(stored.key)
    last = await last_submissions(services.form_log, services.storage)
    shown = snippet(form, services.settings.http.public_url) if form else None
    data = stored.data
    context = {
        "stored": stored,
        "name": data.get("name", stored.key),
        "snippet": shown,
        "secret": secret,
        "masked": mask(str(data["secret"])) if "secret" in data else None,
        "created": created,
        "notice": notice,
        "last": _last_view(last.get(stored.key), me),
        "values": values or _values_of(data),
        "errors": errors or {},
        **_choices(services),
        "key_rule": KEY_RULE,
    }
    response = render(
        request,
        "settings_form.html",
        me,
        context,
        status=422 if errors else 200,
        section=SECTION,
    )
    if secret is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once
    return response


def _blank() -> dict[str, str]:
    return {"honeypot_fields": DEFAULT_HONEYPOTS, "secret_action": "none"}


def _values(posted: MultiDictProxy[Any]) -> dict[str, str]:
    """The posted fields as text (what the page shows back on a refusal)."""
    names = (
        "key",
        "name",
        "queue",
        "pipeline",
        "field_map",
        "honeypot_fields",
        "consent_text_version",
        "redirect_url",
        "secret_action",
    )
    values = {n: v.strip() if isinstance(v := posted.get(n), str) else "" for n in names}
    values["secret_action"] = values["secret_action"] or "none"
    return values


def _values_of(data: Mapping[str, Any]) -> dict[str, str]:
    """A stored form's fields as the page shows them."""
    field_map = data.get("field_map") or {}
    return {
        "key": str(data.get("key", "")),
        "name": str(data.get("name", "")),
        "queue": str(data.get("queue") or ""),
        "pipeline": str(data.get("pipeline") or ""),
        "field_map": "\n".join(f"{k} = {v}" for k, v in field_map.items()),
        "honeypot_fields": ", ".join(data.get("honeypot_fields", DEFAULT_HONEYPOTS.split(", "))),
        "consent_text_version": str(data.get("consent_text_version") or ""),
        "redirect_url": str(data.get("redirect_url") or ""),
        "secret_action": KEEP_SECRET if "secret" in data else "none",
    }


def _document(values: Mapping[str, str]) -> dict[str, Any]:
    """The page's fields as a form document (DomainError naming a field it cannot read)."""
    redirect = values["redirect_url"]
    if redirect and not redirect.startswith(("https://", "http://")):
        raise DomainError(
            "redirect_url", "Укажите полный адрес страницы «Спасибо»: https://...", 422
        )
    doc: dict[str, Any] = {
        "key": values["key"],
        "name": values["name"] or None,
        "queue": values["queue"] or None,
        "pipeline": values["pipeline"] or None,
        "field_map": _field_map(values["field_map"]) or None,
        "honeypot_fields": [h.strip() for h in values["honeypot_fields"].split(",") if h.strip()],
        "consent_text_version": values["consent_text_version"] or None,
        "redirect_url": redirect or None,
    }
    return doc


def _field_map(text: str) -> dict[str, str]:
    mapped: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _MAP_LINE.fullmatch(line)
        if found is None:
            raise DomainError(
                "field_map",
                f"Строка {number}: пишите «поле_на_сайте = phone», по одному полю в строке.",
                422,
            )
        mapped[found.group(1)] = found.group(2)
    return mapped


def _kept(data: Mapping[str, Any]) -> dict[str, Any]:
    """What the page does not edit (preset, limits, captcha...): kept as stored."""
    edited = {
        "key",
        "name",
        "queue",
        "pipeline",
        "field_map",
        "honeypot_fields",
        "consent_text_version",
        "redirect_url",
        "secret",
    }
    return {k: v for k, v in data.items() if k not in edited}


def _errors(err: DomainError) -> dict[str, str]:
    """A refusal as messages by the page's field (`form` for the whole form)."""
    rule = getattr(err, "rule", None)
    field = err.field.rsplit(".", 1)[-1].split("[", 1)[0] if err.field else ""
    place = FIELD_OF.get(field, "form")
    if rule == "key_taken":
        return {"key": "Форма с таким ключом уже есть: выберите другой."}
    if rule == "version_conflict":
        return {"form": f"Форму {STALE}: откройте её заново."}
    if place == "key" and err.status == 422:
        return {"key": KEY_RULE}
    if rule == "still_used":
        return {"form": "Форму нельзя удалить: на неё ещё ссылаются другие настройки."}
    return {place: err.message}


def _choices(services: Services) -> dict[str, Any]:
    settings = services.settings
    return {
        "queues": {q.key: q.name for q in settings.queues},
        "pipelines": {p.key: p.name for p in settings.pipelines},
    }


def _queue_name(services: Services, key: object) -> str:
    found = next((q for q in services.settings.queues if q.key == key), None)
    return found.name if found else str(key or "—")


def _pipeline_name(services: Services, key: object) -> str:
    found = next((p for p in services.settings.pipelines if p.key == key), None)
    return found.name if found else str(key or "—")


def _last_view(last: FormSubmission | None, me: Manager) -> dict[str, Any] | None:
    """The last submission as the page shows it: when, a status word and why."""
    if last is None:
        return None
    if last.outcome == ACCEPTED:
        status, css = "принята", "ok"
        why = "повтор уже принятой" if last.http_status == 200 else None
    elif last.outcome == TEST:
        status, css, why = "проверка Тильды", "test", None
    else:
        status, css = "отклонена", "rejected"
        why = REASONS.get(last.reason or "", last.reason)
        if last.field and last.reason in ("invalid", "malformed", "honeypot"):
            why = f"{why}: поле {last.field}"
    return {
        "at": local_time(last.received_at, me.timezone),
        "iso": last.received_at.isoformat(),
        "status": status,
        "css": css,
        "why": why,
        "http_status": last.http_status,
        "intake_id": last.intake_id,
    }
