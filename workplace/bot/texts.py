"""What the managers' bot says (Russian)."""

from __future__ import annotations

REFUSAL = (
    "Здравствуйте! Это рабочий бот отдела продаж, он доступен только сотрудникам. "
    "Если вы сотрудник, откройте ссылку для подключения из рабочего места LeadIntake."
)
LINKED = "Готово, {name}: бот подключён к вашей учётной записи. Сюда будут приходить новые заявки."
ALREADY_LINKED = "Бот уже подключён к вашей учётной записи, {name}."
UNLINKED = "Бот отключён от вашей учётной записи. Уведомления сюда больше не придут."
HELP = (
    "Новые заявки приходят сюда карточками с кнопками. /leads — мои открытые заявки,"
    " /tasks — задачи на сегодня и просроченные, /find — найти клиента, /unlink — отключить бота."
)
STALE_BUTTON = "Кнопка устарела"
NOT_LINKED_BUTTON = "Бот не подключён к вашей учётной записи."
TAKEN = "Взята в работу: {name}"
TAKEN_TOAST = "Заявка взята в работу."
JUNKED = "Брак: {reason} ({name})"
JUNKED_TOAST = "Заявка закрыта как брак."
CALL_BACK_TOAST = "Задача: перезвонить {when}."
CALL_BACK_TITLE = "Перезвонить клиенту"
# A card out of date, edited: what happened to its lead ({by} is " (who did it)" or empty).
SOMEONE = "другой сотрудник"
JUNKED_BY = "Брак: {reason}{by}"
CONVERTED = "Конвертирована в сделку{by}"
REASSIGNED = "Передана: {name}{by}"
UNASSIGNED = "Снята с вас{by}"
# Replies to the client: the manager answers a card (a Telegram reply to it).
REPLY_SENT = "Отправлено клиенту"
REPLY_TO_CARD = "Чтобы написать клиенту, ответьте на карточку его заявки (Ответить)."
REPLY_NO_TEXT = "Клиенту можно отправить только текст."
