"""Printable Russian HTML for a person's data: the subject access report and the erasure act."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any

from crm_core.storage.ports.persons import Erasure

TABLE_NAMES = {
    "contacts": "Контакты",
    "leads": "Заявки",
    "deals": "Сделки",
    "activities": "Сообщения, письма, звонки и заметки",
    "outgoing_messages": "Исходящие сообщения",
    "outgoing_attachments": "Вложения исходящих сообщений",
    "calls": "Звонки",
    "consents": "Согласия на обработку персональных данных",
    "audit_log": "Журнал изменений",
    "inbox": "Исходные обращения",
    "identities": "Идентификаторы в мессенджерах",
    "identity_keys": "Ключи поиска дублей",
    "merges": "Объединения контактов",
    "lead_joins": "Объединения заявок",
    "manager_bot_cards": "Карточки в боте менеджеров",
    "identity_rejections": "Отметки «это другой человек»",
    "tasks": "Задачи",
    "invoices": "Счета",
    "payments": "Платежи",
    "notification_outbox": "Уведомления менеджерам",
}
# The columns a reader most needs named in Russian; the rest show the stored name.
COLUMN_NAMES = {
    "id": "Номер записи",
    "name": "Имя",
    "first_name": "Имя",
    "last_name": "Фамилия",
    "patronymic": "Отчество",
    "phone": "Телефон",
    "phone_raw": "Телефон, как указан",
    "phones": "Телефоны",
    "email": "Эл. почта",
    "email_raw": "Эл. почта, как указана",
    "emails": "Адреса эл. почты",
    "messenger_ids": "Мессенджеры",
    "comment": "Комментарий",
    "text": "Текст",
    "status": "Статус",
    "channel": "Канал",
    "source": "Источник",
    "given": "Согласие дано",
    "raw_value": "Значение согласия",
    "recorded_at": "Записано",
    "received_at": "Получено",
    "created_at": "Создано",
    "updated_at": "Изменено",
    "caller": "Кто звонил",
    "callee": "Кому звонили",
    "recording_ref": "Запись разговора",
    "payload": "Исходное обращение",
    "title": "Название",
    "amount": "Сумма",
}
STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "td,th{border:1px solid #999;padding:.3rem;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere}th{width:35%}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _at(value: datetime) -> str:
    return value.strftime("%d.%m.%Y %H:%M UTC")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, dict | list):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(str(value))


def access_report(tables: dict[str, list[dict[str, Any]]], now: datetime) -> str:
    """«Сведения о персональных данных»: every record held, table by table."""
    parts = [f"<p>Сформировано {_at(now)}.</p>"]
    if not tables:
        parts.append("<p>Персональные данные этого лица не обрабатываются.</p>")
    for table, rows in tables.items():
        parts.append(f"<h2>{escape(TABLE_NAMES.get(table, table))} ({len(rows)})</h2>")
        for row in rows:
            cells = "".join(
                f"<tr><th>{escape(COLUMN_NAMES.get(column, column))}</th>"
                f"<td>{_cell(value)}</td></tr>"
                for column, value in row.items()
            )
            parts.append(f"<table>{cells}</table><br>")
    return _page("Сведения о персональных данных", "".join(parts))


def erasure_act(erasure: Erasure) -> str:
    """«Акт об уничтожении персональных данных»: who, when, on what request, what (no data)."""
    subject = {"phone": "номер телефона", "email": "адрес электронной почты"}.get(
        erasure.subject, "срок хранения (заявки без сделок)"
    )
    rows = "".join(
        f"<tr><td>{escape(TABLE_NAMES.get(t, t))}</td><td>{n}</td></tr>"
        for t, n in erasure.counts.items()
    )
    table = (
        f"<table><tr><th>Где хранились данные</th><th>Записей</th></tr>{rows}</table>"
        if rows
        else "<p>Персональные данные этого лица не найдены.</p>"
    )
    body = (
        f"<p>Акт № {erasure.id} от {_at(erasure.erased_at)}.</p>"
        f"<p>Основание: {escape(erasure.reason)}.</p>"
        f"<p>Субъект определён по: {escape(subject)}.</p>"
        f"<p>Выполнил: {escape(erasure.actor)}.</p>"
        "<p>Способ: обезличивание и удаление записей в базе данных LeadIntake; сведения о "
        "сделках (суммы и этапы) сохранены без персональных данных. Счета и платежи "
        "хранятся в течение срока, установленного законодательством о бухгалтерском учёте "
        "и налогах.</p>"
        f"{table}<p>Подпись ответственного: ____________________</p>"
    )
    return _page("Акт об уничтожении персональных данных", body)
