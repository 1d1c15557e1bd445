"""The sales setup as documents: one TOML-shaped table per manager, queue, pipeline and form,
junk reason, phone line and extension, and channel declaration (config.channel_documents).

The database stores these documents, the API shows them, `leadintake settings export` writes
them as `[[managers]]`, `[[queues]]`, `[[pipelines]]` and `[[forms]]` tables, `[leads]
junk_reasons`, `[telegram]`, `[vk]`, `[email]`, `[telephony]`, `[avito]` (the channels,
secrets left in the environment), `[telephony.lines."<number>"]` and `[telephony.extensions]`.
A document is canonical (written from the checked settings, defaults left out; a channel
declaration as written), so exporting and importing again gives the same text. Every change
is checked with the whole setup around it by the config checker, so the file, the API and an
import accept and refuse the same things.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from config.abuse_settings import captcha_env
from config.channel_documents import (
    CHANNELS,
    check_declarations,
    declaration_documents,
    declarations_from_documents,
    declarations_of,
    declarations_toml,
)
from config.reader import ConfigError, Section
from config.settings import (
    FormSettings,
    PipelineSettings,
    QueueSettings,
    SalesSection,
    Settings,
    lead_settings,
    sales_from_tables,
)
from config.team_documents import manager_document, with_datetimes
from config.telephony_settings import LineRoute, normalize_line
from config.toml_writer import table_toml, tables_toml

# The `[[kind]]` tables of the config file.
TABLE_KINDS = ("managers", "queues", "pipelines", "forms")
JUNK_REASONS = "junk_reasons"
LINES = "lines"
EXTENSIONS = "extensions"
# The reference lists kept with them: `[leads] junk_reasons`, `[telephony.lines]`,
# `[telephony.extensions]`.
LIST_KINDS = (JUNK_REASONS, LINES, EXTENSIONS)
# The channel declarations come before the lines, as `[telephony]` before its sub-tables.
KINDS = (*TABLE_KINDS, JUNK_REASONS, CHANNELS, LINES, EXTENSIONS)
KEY_FIELDS = {
    CHANNELS: "channel",
    "managers": "login",
    "queues": "key",
    "pipelines": "key",
    "forms": "key",
    JUNK_REASONS: "key",
    LINES: "line",
    EXTENSIONS: "extension",
}
LINE_FIELDS = ("source", "utm_source", "utm_medium", "utm_campaign", "queue", "pipeline")
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
        JUNK_REASONS: [{"key": r.key, "name": r.name} for r in sales.leads.junk_reasons],
        LINES: [line_document(route) for route in sales.lines.values()],
        EXTENSIONS: [{"extension": e, "login": login} for e, login in sales.extensions.items()],
        CHANNELS: declaration_documents(sales.channels or {}),
    }


def check_documents(
    documents: Documents, source: str, environ: Mapping[str, str] | None = None
) -> SalesSection:
    """The setup the documents describe, checked as a whole (ConfigError naming the field)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for kind in TABLE_KINDS:
        rows = [dict(d) for d in documents.get(kind, ())]
        if kind == "managers":
            rows = [with_datetimes(d, source, f"managers[{i}]") for i, d in enumerate(rows)]
        tables[kind] = rows
    sales = with_lists(sales_from_tables(tables, source, environ), documents, source)
    if CHANNELS not in documents:
        return sales
    channels = declarations_from_documents(documents[CHANNELS], source)
    check_declarations(sales, channels, source, os.environ if environ is None else environ)
    return replace(sales, channels=channels)


def with_lists(
    sales: SalesSection,
    documents: Documents,
    source: str,
    unchecked: frozenset[str] = frozenset(),
) -> SalesSection:
    """The sales setup with the junk reasons, phone lines and extensions the documents hold,
    checked as the config checker does: at least one junk reason, unique URL-safe keys; a line
    names known queues and pipelines, an extension a known manager. A kind the documents do
    not have keeps the setup's. Names of an `unchecked` kind (one a file to import does not
    have: the database's are checked once the import is planned) are not looked up."""
    root = Section(
        source, "", {k: [dict(d) for d in documents[k]] for k in LIST_KINDS if k in documents}
    )
    leads = sales.leads
    if JUNK_REASONS in documents:
        leads = lead_settings(Section(source, "", {JUNK_REASONS: root.data[JUNK_REASONS]}))
    lines = sales.lines
    if LINES in documents:
        queues = None if "queues" in unchecked else {q.key for q in sales.queues}
        pipelines = None if "pipelines" in unchecked else {p.key for p in sales.pipelines}
        lines = {}
        for s in root.array(LINES):
            route = _line(s, queues, pipelines)
            if route.line in lines:
                raise s.error("line", f"is the same line as another entry ({route.line})")
            lines[route.line] = route
    extensions = sales.extensions
    if EXTENSIONS in documents:
        logins = None if "managers" in unchecked else {m.login for m in sales.managers}
        extensions = {}
        for s in root.array(EXTENSIONS):
            _only(s, ("extension", "login"))
            extension = s.string("extension").strip()
            login = s.string("login")
            if logins is not None and login not in logins:
                raise s.error("login", f"unknown manager {login!r}")
            if extension in extensions:
                raise s.error("extension", f"extension {extension!r} appears twice")
            extensions[extension] = login
    return replace(sales, leads=leads, lines=lines, extensions=extensions)


def _line(s: Section, queues: set[str] | None, pipelines: set[str] | None) -> LineRoute:
    _only(s, ("line", *LINE_FIELDS))
    line = normalize_line(s.string("line"))
    if len(line) < 3:
        raise s.error("line", "must be a phone number or a short line number (digits)")
    queue = s.optional_string("queue")
    if queue is not None and queues is not None and queue not in queues:
        raise s.error("queue", f"unknown queue {queue!r}")
    pipeline = s.optional_string("pipeline")
    if pipeline is not None and pipelines is not None and pipeline not in pipelines:
        raise s.error("pipeline", f"unknown pipeline {pipeline!r}")
    return LineRoute(
        line=line,
        source=s.optional_string("source"),
        utm_source=s.optional_string("utm_source"),
        utm_medium=s.optional_string("utm_medium"),
        utm_campaign=s.optional_string("utm_campaign"),
        queue=queue,
        pipeline=pipeline,
    )


def _only(s: Section, allowed: tuple[str, ...]) -> None:
    for key in s.data:
        if key not in allowed:
            raise s.error(key, f"unknown key; expected one of {', '.join(allowed)}")


def line_document(route: LineRoute) -> dict[str, Any]:
    """A phone line's canonical document: its normalized number and what is set."""
    doc: dict[str, Any] = {"line": route.line}
    for name in LINE_FIELDS:
        if (value := getattr(route, name)) is not None:
            doc[name] = value
    return doc


def sales_environ(settings: Settings) -> dict[str, str]:
    """The environment a stored form or channel is checked in: the process's, plus the one the
    settings were loaded with and its captcha keys (a test or a CLI may load them with an
    environment of its own)."""
    known = {
        captcha_env(f.key): f.abuse.smartcaptcha_key
        for f in settings.forms
        if f.abuse.smartcaptcha_key is not None
    }
    return {**os.environ, **settings.environ, **known}


def read_sales_toml(
    text: str, source: str, environ: Mapping[str, str] | None = None
) -> tuple[SalesSection, frozenset[str]]:
    """A TOML text's sales tables, checked; and which kinds the text has (others are absent).

    Other tables of a whole config file (and `[telephony]`'s other keys) are not read.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    present = {kind for kind in TABLE_KINDS if kind in raw}
    lists = _list_documents(Section(source, "", raw))
    present |= lists.keys()
    sales = sales_from_tables({k: raw[k] for k in present if k in TABLE_KINDS}, source, environ)
    absent = frozenset(TABLE_KINDS) - present
    sales = with_lists(sales, lists, source, absent)
    declared = declarations_of(raw)
    if declared:
        # Checked with the setup around them once the import is planned (check_documents).
        present.add(CHANNELS)
        docs = declaration_documents(declared)
        sales = replace(sales, channels=declarations_from_documents(docs, source))
    return sales, frozenset(present)


def _list_documents(root: Section) -> dict[str, list[dict[str, Any]]]:
    """The reference lists of a TOML file, as documents."""
    found: dict[str, list[dict[str, Any]]] = {}
    leads = root.table("leads")
    if JUNK_REASONS in leads.data:
        found[JUNK_REASONS] = [r.data for r in leads.array(JUNK_REASONS)]
    telephony = root.table("telephony")
    if LINES in telephony.data:
        lines = telephony.table(LINES)
        found[LINES] = [{"line": number, **lines.table(number).data} for number in lines.data]
    if EXTENSIONS in telephony.data:
        found[EXTENSIONS] = [
            {"extension": e, "login": login}
            for e, login in telephony.string_map(EXTENSIONS).items()
        ]
    return found


def sales_toml(documents: Documents, kinds: Iterable[str] = KINDS) -> str:
    """The documents as the config file's tables, kind by kind."""
    blocks = []
    for kind in kinds:
        docs = documents.get(kind, ())
        if kind in TABLE_KINDS:
            blocks.append(tables_toml(kind, docs))
        elif kind == JUNK_REASONS and docs:
            blocks.append(table_toml("leads", {JUNK_REASONS: [dict(d) for d in docs]}))
        elif kind == CHANNELS:
            blocks.extend(declarations_toml(docs))
        elif kind == LINES:
            blocks.extend(
                table_toml(
                    f'telephony.lines."{d["line"]}"', {k: v for k, v in d.items() if k != "line"}
                )
                for d in docs
            )
        elif kind == EXTENSIONS and docs:
            pairs = (f"{json.dumps(d['extension'])} = {json.dumps(d['login'])}" for d in docs)
            blocks.append("[telephony.extensions]\n" + "".join(f"{p}\n" for p in pairs))
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
        if stage.on_invoice:
            doc["on_invoice"] = True
        if stage.on_payment:
            doc["on_payment"] = True
        if stage.tasks:
            doc["tasks"] = [
                {"title": t.title, "type": t.task_type, "due_in": duration_text(t.due_in)}
                for t in stage.tasks
            ]
        stages.append(doc)
    document: dict[str, Any] = {
        "key": pipeline.key,
        "name": pipeline.name,
        "stage_order": pipeline.stage_order,
        "require_next_activity": pipeline.require_next_activity,
        "lost_requires_approval": pipeline.lost_requires_approval,
    }
    # The closing documents' options are written only when set, as the stages' money flags.
    if pipeline.won_requires_shipment:
        document["won_requires_shipment"] = True
    if pipeline.ship_before_payment:
        document["ship_before_payment"] = True
    return {**document, "lost_reasons": list(pipeline.lost_reasons), "stages": stages}


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
