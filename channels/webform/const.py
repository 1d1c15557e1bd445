"""Built-in field names understood on any form, in Russian and English."""

from __future__ import annotations

CHANNEL = "webform"

ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "fio",
        "fullname",
        "full_name",
        "имя",
        "фио",
        "your_name",
        "contact_name",
        "client_name",
    ),
    "first_name": ("first_name", "firstname", "fname"),
    "last_name": ("last_name", "lastname", "surname", "фамилия"),
    "patronymic": ("patronymic", "middle_name", "отчество"),
    "phone": (
        "phone",
        "tel",
        "telephone",
        "phone_number",
        "mobile",
        "телефон",
        "номер_телефона",
        "your_phone",
    ),
    "email": ("email", "e_mail", "mail", "почта", "электронная_почта", "your_email"),
    "company": (
        "company",
        "company_name",
        "organization",
        "organisation",
        "компания",
        "организация",
    ),
    "position": ("position", "job_title", "должность"),
    "telegram_username": ("telegram", "tg", "telegram_username", "телеграм", "телеграмм"),
    "vk": ("vk", "vkontakte", "vk_id", "vk_url", "вконтакте", "вк"),
    "whatsapp": ("whatsapp", "wa", "ватсап", "вотсап"),
    "comment": (
        "comment",
        "comments",
        "message",
        "text",
        "textarea",
        "question",
        "сообщение",
        "комментарий",
        "вопрос",
        "your_message",
    ),
    "page_url": ("page", "page_url", "pageurl", "url", "landing", "страница"),
    "referrer": ("referrer", "referer"),
    "utm_source": ("utm_source",),
    "utm_medium": ("utm_medium",),
    "utm_campaign": ("utm_campaign",),
    "utm_content": ("utm_content",),
    "utm_term": ("utm_term",),
    "consent": (
        "consent",
        "agree",
        "agreement",
        "personal_data",
        "pd_consent",
        "policy",
        "согласие",
    ),
    "consent_version": ("consent_version", "consent_text_version"),
    "submission_id": ("submission_id", "_submission_id"),
}

CANONICAL_BY_ALIAS: dict[str, str] = {
    alias: canonical for canonical, aliases in ALIASES.items() for alias in aliases
}

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

CONSENT_TRUE = frozenset(
    {"on", "yes", "true", "1", "да", "y", "checked", "agree", "accepted", "согласен", "согласна"}
)

TILDA_TRANSACTION = "tranid"
TILDA_FORM = "formid"
REDIRECT_FIELD = "_redirect"
IDEMPOTENCY_HEADER = "Idempotency-Key"
