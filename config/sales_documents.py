"""The sales setup as documents: one TOML-shaped table per manager, queue, pipeline and form.

The database stores these documents, the API shows them, `leadintake settings export` writes
them as `[[managers]]`, `[[queues]]`, `[[pipelines]]` and `[[forms]]` tables. A document is
canonical (written from the checked settings, defaults left out), so exporting and importing
again gives the same text. Every change is checked with the whole setup around it by the
config checker, so the file, the API and an import accept and refuse the same things.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from config.abuse_settings import captcha_env
from config.reader import ConfigError
from config.settings import (
    FormSettings,
    PipelineSettings,
    QueueSettings,
    SalesSection,
    Settings,
    sales_from_tables,
)
from config.team_documents import manager_document, with_datetimes
from config.toml_writer import tables_toml

KINDS = ("managers", "queues", "pipelines", "forms")
KEY_FIELDS = {"managers": "login", "queues": "key", "pipelines": "key", "forms": "key"}
_DEFAULT_HONEYPOTS = ("_gotcha", "_honeypot", "hp_website")
# Where a form's secret is looked for by default: names, not secrets.
_DEFAULT_SECRET_HEADER = "X-Api-Key"  # noqa: S105
_DEFAULT_SECRET_FIELD = "api_key"  # noqa: S105

Documents = Mapping[str, Sequence[Mapping[str, Any]]]
"""Kind → its documents in order."""


def documents_of(sales: SalesSection) -> dict[str, list[dict[str, Any]]]:
    """The canonical documents of a checked sales setup."""
    return {
        "managers": [manager_document(m) for m in sales.managers],
        "queues": [queue_document(q) for q in sales.queues],
        "pipelines": [pipeline_document(p) for p in sales.pipelines],
        "forms": [form_document(f) for f in sales.forms],
    }


def check_documents(
    documents: Documents, source: str, environ: Mapping[str, str] | None = None
) -> SalesSection:
    """The setup the documents describe, checked as a whole (ConfigError naming the field)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        rows = [dict(d) for d in documents.get(kind, ())]
        if kind == "managers":
            rows = [with_datetimes(d, source, f"managers[{i}]") for i, d in enumerate(rows)]
        tables[kind] = rows
    return sales_from_tables(tables, source, environ)


def sales_environ(settings: Settings) -> dict[str, str]:
    """The environment a stored form is checked in: the process's, plus the captcha keys the
    settings were loaded with (a test or a CLI may load them with an environment of its own)."""
    known = {
        captcha_env(f.key): f.abuse.smartcaptcha_key
        for f in settings.forms
        if f.abuse.smartcaptcha_key is not None
    }
    return {**os.environ, **known}


def read_sales_toml(
    text: str, source: str, environ: Mapping[str, str] | None = None
) -> tuple[SalesSection, frozenset[str]]:
    """A TOML text's sales tables, checked; and which kinds the text has (others are absent).

    Other tables of a whole config file are not read.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    present = frozenset(kind for kind in KINDS if kind in raw)
    return sales_from_tables({k: raw[k] for k in present}, source, environ), present


def sales_toml(documents: Documents, kinds: Iterable[str] = KINDS) -> str:
    """The documents as the config file's tables, kind by kind."""
    blocks = [tables_toml(kind, documents.get(kind, ())) for kind in kinds]
    return "\n".join(b for b in blocks if b)


def queue_document(queue: QueueSettings) -> dict[str, Any]:
    """A queue's canonical document."""
    members: list[Any] = []
    for m in queue.members:
        if m.weight == 1 and m.capacity is None:
            members.append(m.login)
        else:
            member: dict[str, Any] = {"login": m.login, "weight": m.weight}
            if m.capacity is not None:
                member["capacity"] = m.capacity
            members.append(member)
    doc: dict[str, Any] = {"key": queue.key, "name": queue.name, "managers": members}
    if queue.fallback is not None:
        doc["fallback"] = queue.fallback
    if queue.acceptance_timeout is not None:
        doc["acceptance_timeout"] = duration_text(queue.acceptance_timeout)
    if queue.channels:
        doc["channels"] = list(queue.channels)
    return doc


def pipeline_document(pipeline: PipelineSettings) -> dict[str, Any]:
    """A pipeline's canonical document (stages in order)."""
    stages = []
    for stage in pipeline.stages:
        doc: dict[str, Any] = {"key": stage.key, "name": stage.name, "kind": stage.kind}
        if stage.color is not None:
            doc["color"] = stage.color
        if stage.required_fields:
            doc["required_fields"] = list(stage.required_fields)
        if stage.tasks:
            doc["tasks"] = [
                {"title": t.title, "type": t.task_type, "due_in": duration_text(t.due_in)}
                for t in stage.tasks
            ]
        stages.append(doc)
    return {
        "key": pipeline.key,
        "name": pipeline.name,
        "stage_order": pipeline.stage_order,
        "require_next_activity": pipeline.require_next_activity,
        "lost_requires_approval": pipeline.lost_requires_approval,
        "lost_reasons": list(pipeline.lost_reasons),
        "stages": stages,
    }


def form_document(form: FormSettings) -> dict[str, Any]:
    """A form's canonical document (the captcha's server key stays in the environment)."""
    doc: dict[str, Any] = {"key": form.key, "name": form.name}
    if form.queue is not None:
        doc["queue"] = form.queue
    if form.pipeline is not None:
        doc["pipeline"] = form.pipeline
    if form.preset is not None:
        doc["preset"] = form.preset
    if form.secret is not None:
        doc["secret"] = form.secret
    if form.secret_header != _DEFAULT_SECRET_HEADER:
        doc["secret_header"] = form.secret_header
    if form.secret_field != _DEFAULT_SECRET_FIELD:
        doc["secret_field"] = form.secret_field
    if form.field_map:
        doc["field_map"] = dict(form.field_map)
    if form.honeypot_fields != _DEFAULT_HONEYPOTS:
        doc["honeypot_fields"] = list(form.honeypot_fields)
    if form.consent_text_version is not None:
        doc["consent_text_version"] = form.consent_text_version
    if form.redirect_url is not None:
        doc["redirect_url"] = form.redirect_url
    if form.allowed_redirect_hosts:
        doc["allowed_redirect_hosts"] = list(form.allowed_redirect_hosts)
    if form.abuse.rate_per_minute is not None:
        doc["rate_per_minute"] = form.abuse.rate_per_minute
    if form.abuse.rate_burst is not None:
        doc["rate_burst"] = form.abuse.rate_burst
    if form.abuse.smartcaptcha:
        doc["smartcaptcha"] = True
    return doc


def duration_text(value: timedelta) -> str:
    """A duration as the config writes it: "15m", "1h30m", "3d"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
