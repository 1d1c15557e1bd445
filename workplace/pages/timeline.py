"""One chronological timeline of a record: activities, tasks, stage changes and audit entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_core.closing_model import ClosingKind, ClosingStatus
from crm_core.invoices_model import InvoiceStatus
from crm_core.model import AuditEntry
from crm_core.money import format_rub
from crm_core.quotes_model import QuoteStatus
from crm_core.replies_model import OutgoingMessage
from crm_core.sales import Activity, Task
from intake.replies.reasons import explain_error


@dataclass(frozen=True, slots=True)
class TimelineFile:
    """A file of a message on the timeline: its name, size as read, and download link."""

    name: str
    size: str
    url: str


def size_label(size: int | None) -> str:
    """ "48 КБ", "1,5 МБ", "" when unknown."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} КБ"
    return f"{size / (1024 * 1024):.1f} МБ".replace(".", ",")


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """An activity, a task, a stage or an audited change, for one chronological list."""

    at: datetime
    kind: str
    text: str
    actor: str
    done: bool | None = None
    task_id: int | None = None
    # An outgoing message's delivery: "queued", "sent" or "failed" with the platform's reason.
    state: str | None = None
    error: str | None = None
    files: tuple[TimelineFile, ...] = ()


@dataclass(frozen=True, slots=True)
class Names:
    """How the timeline names things: managers by login and id, stages, junk reasons."""

    by_login: Mapping[str, str]
    by_id: Mapping[int, str]
    stages: Mapping[str, str]
    reasons: Mapping[str, str]

    def manager(self, login: str) -> str:
        """Who acted, by name; empty where the record itself or an incoming message acted
        (actors such as `inbox:12`, `lead:5`), "система" for the system."""
        if login in self.by_login:
            return self.by_login[login]
        if login == "system":
            return "система"
        return "" if ":" in login else login


def timeline(
    activities: Iterable[Activity],
    tasks: Iterable[Task],
    audit: Iterable[AuditEntry],
    names: Names,
    extra: Iterable[TimelineItem] = (),
    outgoing: Mapping[int, OutgoingMessage] | None = None,
    files: Mapping[int, tuple[TimelineFile, ...]] | None = None,
) -> list[TimelineItem]:
    """Everything that happened to a record, newest first; audit entries the other items
    already show (a stage move beside its stage, the record's creation) are left out.

    `outgoing` (by activity id) marks the message activities that went to the client with
    their delivery state: each message is one item, whichever way it went; `files` (by
    activity id) are the messages' files, either way.
    """
    items = [
        activity_item(
            a, names.manager(a.actor), (outgoing or {}).get(a.id), (files or {}).get(a.id, ())
        )
        for a in activities
    ]
    items += [
        TimelineItem(
            t.due_at,
            "task",
            t.title,
            names.by_id.get(t.assignee_id or 0, ""),
            t.done_at is not None,
            t.id,
        )
        for t in tasks
    ]
    items += [
        TimelineItem(e.at, "audit", text, names.manager(e.actor))
        for e in audit
        if (text := audit_text(e, names)) is not None
    ]
    items += extra
    items.sort(key=lambda item: item.at, reverse=True)
    return items


def activity_item(
    activity: Activity,
    actor: str,
    outgoing: OutgoingMessage | None = None,
    files: tuple[TimelineFile, ...] = (),
) -> TimelineItem:
    """An activity as a timeline item; a message to the client carries its delivery state,
    a message either way its files."""
    if outgoing is None:
        return TimelineItem(
            activity.at, activity.kind.value, activity.text or "", actor, files=files
        )
    return TimelineItem(
        activity.at,
        activity.kind.value,
        activity.text or "",
        actor,
        state=outgoing.state.value,
        error=explain_error(outgoing.channel, outgoing.state, outgoing.last_error),
        files=files,
    )


def audit_text(entry: AuditEntry, names: Names) -> str | None:
    """A change as a manager reads it, or None for one the timeline shows otherwise."""
    describe = _DESCRIBERS.get(entry.action)
    return describe(entry.before or {}, entry.after or {}, names) if describe else None


def _junk(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    reason = str(after.get("junk_reason") or "")
    return f"Брак: {names.reasons.get(reason, reason)}" if reason else "Брак"


def _reassign(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    return f"Передана менеджеру {names.manager(str(after.get('assignee', '')))}"


def _convert(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    deal_id = after.get("deal_id")
    return f"Конвертирована в сделку №{deal_id}" if deal_id else "Конвертирована в клиента"


def _request_lost(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    request = after.get("pending_lost") or {}
    reason = str(request.get("reason") or "")
    return "Запрошено закрытие как проигранной" + (f": {reason}" if reason else "")


def _fill_fields(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    filled = [*(after.get("fields") or {})] + (["сумма"] if "amount" in after else [])
    return "Заполнены поля: " + ", ".join(filled) if filled else "Заполнены поля"


def _joined(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    if "joined_id" in after:
        return f"С этой заявкой объединена заявка №{after['joined_id']} (тот же человек)"
    return f"Объединена с заявкой №{after.get('duplicate_of_id')} (тот же человек)"


def _join_undone(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    other = after.get("joined_id") or before.get("duplicate_of_id")
    return f"Объединение с заявкой №{other} отменено"


def _quote_created(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    total = after.get("total")
    amount = f" на {format_rub(Decimal(str(total)))} ₽" if total is not None else ""
    return f"Создано коммерческое предложение {after.get('number', '')}{amount}"


def _quote_edited(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    total = after.get("total")
    amount = f": теперь {format_rub(Decimal(str(total)))} ₽" if total is not None else ""
    return f"Изменено коммерческое предложение {after.get('number', '')}{amount}"


def _quote_status(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    raw = str(after.get("status", ""))
    label = QuoteStatus(raw).label if raw in set(QuoteStatus) else raw
    reason = str(after.get("reason") or "")
    return f"Коммерческое предложение {after.get('number', '')}: {label}" + (
        f" ({reason})" if reason else ""
    )


def _quote_sent(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    return (
        f"Коммерческое предложение {after.get('number', '')} отправлено на {after.get('to', '')}"
    )


def _rub(value: Any) -> str:
    return f"{format_rub(Decimal(str(value)))} ₽"


def _invoice_created(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    total = after.get("total")
    amount = f" на {_rub(total)}" if total is not None else ""
    return f"Создан счёт {after.get('number', '')}{amount}"


def _invoice_status(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    raw = str(after.get("status", ""))
    label = InvoiceStatus(raw).label if raw in set(InvoiceStatus) else raw
    return f"Счёт {after.get('number', '')}: {label}"


def _invoice_sent(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    return f"Счёт {after.get('number', '')} отправлен на {after.get('to', '')}"


def _payment(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    text = f"Оплата {_rub(after.get('amount', 0))} по счёту {after.get('number', '')}"
    over = Decimal(str(after.get("overpaid_by") or 0))
    return text + (f" (переплата {_rub(over)})" if over > 0 else "")


def _closing_kind(after: Mapping[str, Any]) -> ClosingKind | None:
    raw = str(after.get("kind", ""))
    return ClosingKind(raw) if raw in set(ClosingKind) else None


def _closing_created(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    kind = _closing_kind(after)
    what = "товарная накладная" if kind is ClosingKind.SHIPMENT else "акт"
    return (
        f"Создан{'а' if kind is ClosingKind.SHIPMENT else ''} {what} {after.get('number', '')}"
        f" по счёту {after.get('invoice_number', '')}"
    )


def _closing_status(before: Mapping[str, Any], after: Mapping[str, Any], names: Names) -> str:
    kind = _closing_kind(after) or ClosingKind.ACT
    raw = str(after.get("status", ""))
    label = ClosingStatus(raw).label(kind) if raw in set(ClosingStatus) else raw
    what = "Накладная" if kind is ClosingKind.SHIPMENT else "Акт"
    return f"{what} {after.get('number', '')}: {label}"


def _constant(text: str) -> Callable[[Mapping[str, Any], Mapping[str, Any], Names], str]:
    return lambda before, after, names: text


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], Names], str]] = {
    "take": _constant("Взята в работу"),
    "junk": _junk,
    "reassign": _reassign,
    "convert": _convert,
    "match_confirmed": _constant("Дубль подтверждён: это тот же клиент"),
    "match_rejected": _constant("Дубль отклонён: это другой человек"),
    "request_lost": _request_lost,
    "reject_lost": _constant("Руководитель отклонил закрытие как проигранной"),
    "fill_fields": _fill_fields,
    "lead_joined": _joined,
    "joined_into": _joined,
    "lead_join_undone": _join_undone,
    "join_undone": _join_undone,
    "quote_created": _quote_created,
    "quote_edited": _quote_edited,
    "quote_status": _quote_status,
    "quote_sent": _quote_sent,
    "invoice_created": _invoice_created,
    "invoice_status": _invoice_status,
    "invoice_sent": _invoice_sent,
    "payment_received": _payment,
    "closing_created": _closing_created,
    "closing_status": _closing_status,
}


def stage_items(visits: Sequence[Any], stage_names: Mapping[str, str]) -> list[TimelineItem]:
    """Each entry into a stage as a timeline item."""
    return [
        TimelineItem(v.entered_at, "stage", stage_names.get(v.stage, v.stage), "") for v in visits
    ]
