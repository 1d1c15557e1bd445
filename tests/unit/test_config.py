"""Settings: the shipped demo config, environment overrides, and errors naming the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import (
    DEFAULT_JUNK_REASONS,
    AbsenceSettings,
    QueueMemberSettings,
    QueueSettings,
    StageTaskSettings,
)

DEMO = Path(__file__).resolve().parents[2] / "config" / "default.toml"


def test_demo_config_has_the_public_demo_names() -> None:
    settings = load_settings(DEMO, environ={})
    assert settings.http.port == 8080
    assert settings.database.sqlite_path == Path("./var/leadintake.sqlite3")
    assert [f.key for f in settings.forms] == ["site"]
    assert settings.forms[0].secret is None
    assert {m.login: m.role for m in settings.managers} == {
        "ivanova": "manager",
        "petrov": "manager",
        "smirnova": "manager",
        "head": "head",
    }
    for pipeline in settings.pipelines:
        assert [s.kind for s in pipeline.stages][-2:] == ["won", "lost"]


def test_environment_overrides() -> None:
    settings = load_settings(
        DEMO,
        environ={
            "LEADINTAKE_DATABASE_URL": "postgresql://u@db:5432/leads",
            "LEADINTAKE_HTTP_HOST": "0.0.0.0",
            "LEADINTAKE_HTTP_PORT": "9000",
        },
    )
    assert settings.database.url == "postgresql://u@db:5432/leads"
    assert not settings.database.is_sqlite
    assert (settings.http.host, settings.http.port) == ("0.0.0.0", 9000)


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[http]\nport = 8181\n", "utf-8")
    assert load_settings(environ={"LEADINTAKE_CONFIG": str(path)}).http.port == 8181


def test_demo_config_shows_the_sales_process() -> None:
    settings = load_settings(DEMO, environ={})
    [queue] = settings.queues
    assert queue.managers == ("ivanova", "petrov", "smirnova")
    assert queue.members == (
        QueueMemberSettings("ivanova", weight=2, capacity=30),
        QueueMemberSettings("petrov"),
        QueueMemberSettings("smirnova"),
    )
    assert (queue.fallback, queue.acceptance_timeout) == ("head", timedelta(minutes=15))
    assert queue.channels == ("telegram", "vk", "email", "call")
    assert all(m.working_hours == {"mon-fri": "09:00-18:00"} for m in settings.managers)
    petrov = settings.manager("petrov")
    assert petrov is not None
    assert [a.note for a in petrov.absences] == ["отпуск"]
    main, b2b = settings.pipelines
    assert (main.key, main.stage_order, b2b.key, b2b.stage_order) == (
        "main",
        "free",
        "b2b",
        "strict",
    )
    stages = {s.key: s for s in main.stages}
    assert stages["invoice"].required_fields == ("amount",)
    assert stages["payment"].tasks == (
        StageTaskSettings("Проверить оплату", "call", timedelta(days=3)),
    )
    assert "Выбрали конкурента" in main.lost_reasons
    assert b2b.lost_requires_approval
    assert not main.lost_requires_approval
    assert {s.key: s.required_fields for s in b2b.stages}["contract"] == ("amount", "company")
    assert [(r.key, r.name) for r in settings.leads.junk_reasons] == list(DEFAULT_JUNK_REASONS)


def test_a_config_without_the_new_keys_gets_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(
        """
[http]
public_url = "https://crm.example.ru/"

[[managers]]
login = "ivanova"
name = "Анна Иванова"

[[queues]]
key = "main"
name = "Входящие"
managers = ["ivanova"]

[[pipelines]]
key = "main"
name = "Продажи"
stage_order = "semi_strict"
stages = [
  { key = "opening", name = "Первичный контакт" },
  { key = "won", name = "Успешно", kind = "won" },
  { key = "lost", name = "Провалено", kind = "lost" },
]
""",
        "utf-8",
    )
    settings = load_settings(path, environ={})
    [manager] = settings.managers
    assert (manager.working_hours, manager.absences) == (None, ())
    assert settings.queues[0] == QueueSettings("main", "Входящие", ("ivanova",), None)
    assert settings.queues[0].members == (QueueMemberSettings("ivanova", 1, None),)
    [pipeline] = settings.pipelines
    assert pipeline.stage_order == "semi_strict"
    assert (pipeline.require_next_activity, pipeline.lost_requires_approval) == (True, False)
    assert pipeline.lost_reasons == ()
    assert all((s.required_fields, s.tasks) == ((), ()) for s in pipeline.stages)
    assert len(settings.leads.junk_reasons) == 7
    notifications = settings.notifications
    assert notifications.public_url == "https://crm.example.ru"
    assert notifications.telegram_api_base == "https://api.telegram.org"
    assert notifications.telegram_bot_token_env == "LEADINTAKE_TELEGRAM_BOT_TOKEN"
    assert notifications.smtp_password_env == "LEADINTAKE_SMTP_PASSWORD"
    assert (notifications.smtp_host, notifications.smtp_port, notifications.smtp_tls) == (
        None,
        25,
        "none",
    )
    assert notifications.dispatch_batch == 50
    assert not notifications.telegram_enabled
    assert not notifications.email_enabled


def test_manager_hours_and_absences(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
[[managers]]
login = "smirnova"
name = "Мария Смирнова"
timezone = "Asia/Yekaterinburg"
working_hours = { "mon-fri" = "09:00-18:00", sat = "10:00-14:00" }
absences = [
  { from = 2026-12-29T00:00:00+05:00, to = 2027-01-09T00:00:00+05:00, note = "отпуск" },
  { from = 2026-03-02T06:00:00Z, to = 2026-03-03T06:00:00Z },
]
""",
        "utf-8",
    )
    [manager] = load_settings(path, environ={}).managers
    assert manager.working_hours == {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}
    first, second = manager.absences
    assert first.note == "отпуск"
    assert first.start.utcoffset() == timedelta(hours=5)
    assert second == AbsenceSettings(
        datetime(2026, 3, 2, 6, tzinfo=UTC), datetime(2026, 3, 3, 6, tzinfo=UTC), ""
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1H", 3600)],
)
def test_durations(tmp_path: Path, spec: str, expected: int) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "[[managers]]\nlogin = 'h'\nname = 'H'\nrole = 'head'\n"
        f"[[queues]]\nkey = 'q'\nname = 'Q'\nfallback = 'h'\nacceptance_timeout = '{spec}'\n"
    )
    [queue] = load_settings(path, environ={}).queues
    assert queue.acceptance_timeout == timedelta(seconds=expected)


def test_queue_fallback_wait_and_custom_junk_reasons(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
[[managers]]
login = "petrov"
name = "Пётр Петров"

[[queues]]
key = "night"
name = "Ночь"
managers = [{ login = "petrov", capacity = 5 }]
fallback = "wait"

[leads]
junk_reasons = [{ key = "spam", name = "Спам" }, { key = "test", name = " Тестовая заявка " }]
""",
        "utf-8",
    )
    settings = load_settings(path, environ={})
    [queue] = settings.queues
    assert queue.fallback == "wait"
    assert queue.members == (QueueMemberSettings("petrov", 1, 5),)
    assert [(r.key, r.name) for r in settings.leads.junk_reasons] == [
        ("spam", "Спам"),
        ("test", "Тестовая заявка"),
    ]


def test_notification_settings_and_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        """
[notifications]
public_url = "https://crm.example.ru/"
telegram_bot_token_env = "MY_BOT_TOKEN"
smtp_host = "smtp.example.ru"
smtp_port = 587
smtp_sender = "LeadIntake <crm@example.ru>"
smtp_username = "crm@example.ru"
smtp_tls = "starttls"
dispatch_batch = 20
""",
        "utf-8",
    )
    settings = load_settings(
        path,
        environ={
            "MY_BOT_TOKEN": "123:abc\n",
            "LEADINTAKE_TELEGRAM_BOT_TOKEN": "ignored",
            "LEADINTAKE_SMTP_PASSWORD": "pa55",
            "LEADINTAKE_PUBLIC_URL": "https://other.example.ru",
        },
    )
    n = settings.notifications
    assert n.public_url == "https://crm.example.ru"
    assert (n.telegram_bot_token, n.smtp_password) == ("123:abc", "pa55")
    assert (n.smtp_host, n.smtp_port, n.smtp_tls, n.dispatch_batch) == (
        "smtp.example.ru",
        587,
        "starttls",
        20,
    )
    assert n.telegram_enabled
    assert n.email_enabled
    assert "123:abc" not in repr(settings)
    assert "pa55" not in repr(settings)


def test_notification_environment_overrides() -> None:
    settings = load_settings(
        DEMO,
        environ={
            "LEADINTAKE_PUBLIC_URL": "https://crm.example.ru",
            "LEADINTAKE_TELEGRAM_API_BASE": "http://127.0.0.1:8081/",
            "LEADINTAKE_SMTP_HOST": "mail.local",
            "LEADINTAKE_SMTP_PORT": "465",
            "LEADINTAKE_SMTP_SENDER": "crm@example.ru",
            "LEADINTAKE_SMTP_USERNAME": "crm",
            "LEADINTAKE_SMTP_TLS": "tls",
        },
    )
    n = settings.notifications
    assert n.public_url == "https://crm.example.ru"  # follows the HTTP public URL
    assert n.telegram_api_base == "http://127.0.0.1:8081"
    assert (n.smtp_host, n.smtp_port, n.smtp_sender, n.smtp_username, n.smtp_tls) == (
        "mail.local",
        465,
        "crm@example.ru",
        "crm",
        "tls",
    )


MANAGERS = "[[managers]]\nlogin = 'a'\nname = 'A'\n[[managers]]\nlogin = 'b'\nname = 'B'\n"
QUEUE = MANAGERS + "[[queues]]\nkey = 'q'\nname = 'Q'\n"
PIPELINE = "[[pipelines]]\nkey = 'p'\nname = 'P'\n"
STAGES = "{key = 'won', name = 'W', kind = 'won'}, {key = 'lost', name = 'L', kind = 'lost'}"
ABSENCE = "[[managers]]\nlogin = 'a'\nname = 'A'\nabsences = [{ "


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        (
            MANAGERS + "working_hours = { mon = '9-18' }\n",
            {},
            "managers[1].working_hours: working hours for 'mon': '9-18' is not HH:MM-HH:MM",
        ),
        (
            MANAGERS + "working_hours = { 'mon-fri' = '09:00-18:00', fri = '10:00-12:00' }\n",
            {},
            "managers[1].working_hours: working hours: fri is given twice",
        ),
        (MANAGERS + "working_hours = {}\n", {}, "managers[1].working_hours: names no days"),
        (
            ABSENCE + "from = 2026-12-29T00:00:00, to = 2027-01-09T00:00:00+03:00 }]\n",
            {},
            "managers[0].absences[0].from: must carry a UTC offset",
        ),
        (
            ABSENCE + "from = 2026-12-29T00:00:00+03:00, to = 2027-01-09 }]\n",
            {},
            "managers[0].absences[0].to: must be a date-time like",
        ),
        (
            ABSENCE + "from = 2026-12-29T00:00:00+03:00, to = 2026-12-28T00:00:00+03:00 }]\n",
            {},
            "managers[0].absences[0].to: must be after from",
        ),
        (
            ABSENCE + "from = 2026-12-29T00:00:00+03:00 }]\n",
            {},
            "managers[0].absences[0].to: is required",
        ),
        (
            ABSENCE + "start = 2026-12-29T00:00:00+03:00 }]\n",
            {},
            "managers[0].absences[0].start: unknown key; expected one of from, to, note",
        ),
        (
            QUEUE + "managers = ['a', { login = 'ghost' }]\n",
            {},
            "queues[0].managers[1].login: unknown manager 'ghost'",
        ),
        (
            QUEUE + "managers = ['a', { login = 'a', weight = 2 }]\n",
            {},
            "queues[0].managers: manager 'a' is listed twice",
        ),
        (
            QUEUE + "managers = [{ login = 'a', weight = 0 }]\n",
            {},
            "queues[0].managers[0].weight: must be between 1 and",
        ),
        (
            QUEUE + "managers = [{ login = 'a', capacity = 0 }]\n",
            {},
            "queues[0].managers[0].capacity: must be between 1 and",
        ),
        (
            QUEUE + "managers = [{ login = 'a', wieght = 2 }]\n",
            {},
            "queues[0].managers[0].wieght: unknown key",
        ),
        (QUEUE + "managers = [3]\n", {}, "queues[0].managers: must be logins or tables"),
        (QUEUE + "fallback = 'ghost'\n", {}, "queues[0].fallback: unknown manager 'ghost'"),
        (
            QUEUE + "acceptance_timeout = '15 minutes'\n",
            {},
            "queues[0].acceptance_timeout: must be a duration like",
        ),
        (
            QUEUE + "acceptance_timeout = '0m'\n",
            {},
            "queues[0].acceptance_timeout: must be longer than zero",
        ),
        (
            QUEUE + "channels = ['vk', 'vk']\n",
            {},
            "queues[0].channels: duplicate key 'vk'",
        ),
        (
            QUEUE + "channels = ['vk']\n[[queues]]\nkey = 'r'\nname = 'R'\nchannels = ['vk']\n",
            {},
            "queues[1].channels: 'vk' is already taken by queue 'q'",
        ),
        (
            PIPELINE + "stage_order = 'loose'\nstages = [" + STAGES + "]\n",
            {},
            "pipelines[0].stage_order: must be one of strict, semi_strict, free",
        ),
        (
            PIPELINE + "stages = [{key = 'a', name = 'A'}, " + STAGES + "]\n"
            "require_next_activity = 'yes'\n",
            {},
            "pipelines[0].require_next_activity: must be true or false",
        ),
        (
            PIPELINE + "stages = [{key = 'a', name = 'A'}, " + STAGES + "]\n"
            "lost_reasons = ['Дорого', '  ']\n",
            {},
            "pipelines[0].lost_reasons: must not contain empty reasons",
        ),
        (
            PIPELINE + "stages = [" + STAGES + "]\n",
            {},
            "pipelines[0].stages: pipeline 'p': needs at least one open stage",
        ),
        (
            PIPELINE
            + "stages = [{key = 'w2', name = 'W2', kind = 'won'}, {key = 'a', name = 'A'},"
            " " + STAGES + "]\n",
            {},
            "pipelines[0].stages: pipeline 'p': needs exactly one won stage",
        ),
        (
            PIPELINE
            + "stages = [{key = 'a', name = 'A', tasks = [{ title = 'Позвонить' }]}, "
            + STAGES
            + "]\n",
            {},
            "pipelines[0].stages[0].tasks[0].due_in: is required",
        ),
        (
            PIPELINE
            + "stages = [{key = 'a', name = 'A', tasks = [{ title = 'X', due_in = '3w' }]}, "
            + STAGES
            + "]\n",
            {},
            "pipelines[0].stages[0].tasks[0].due_in: must be a duration like",
        ),
        (
            PIPELINE
            + "stages = [{key = 'a', name = 'A', required_fields = 'amount'}, "
            + STAGES
            + "]\n",
            {},
            "pipelines[0].stages[0].required_fields: must be a list of strings",
        ),
        (
            "[leads]\njunk_reasons = [{ key = 'spam', name = 'Спам' },"
            " { key = 'spam', name = 'С' }]\n",
            {},
            "leads.junk_reasons: duplicate key 'spam'",
        ),
        ("[leads]\njunk_reasons = []\n", {}, "leads.junk_reasons: needs at least one reason"),
        (
            "[leads]\njunk_reasons = [{ key = 'Спам', name = 'Спам' }]\n",
            {},
            "leads.junk_reasons[0].key: must be lowercase letters",
        ),
        (
            "[notifications]\nsmtp_tls = 'ssl'\n",
            {},
            "notifications.smtp_tls: must be one of none, starttls, tls",
        ),
        (
            "[notifications]\nsmtp_host = 'smtp.example.ru'\n",
            {},
            "notifications.smtp_sender: is required when smtp_host is set",
        ),
        (
            "[notifications]\ntelegram_bot_token = '123:abc'\n",
            {},
            "notifications.telegram_bot_token: secrets stay out of the file: set the environment"
            " variable LEADINTAKE_TELEGRAM_BOT_TOKEN",
        ),
        (
            "[notifications]\npublic_url = 'crm.example.ru'\n",
            {},
            "notifications.public_url: must start with http:// or https://",
        ),
        (
            "[notifications]\nsmtp_password_env = 'not a name'\n",
            {},
            "notifications.smtp_password_env: must be an environment variable name",
        ),
        ("[notifications]\ndispatch_batch = 0\n", {}, "notifications.dispatch_batch"),
        ("[notifications]\nsmpt_host = 'x'\n", {}, "notifications.smpt_host: unknown key"),
        ("", {"LEADINTAKE_SMTP_PORT": "smtp"}, "LEADINTAKE_SMTP_PORT: must be an integer"),
        ("[http]\nport = 'x'\n", {}, "http.port: must be an integer"),
        ("[http]\nport = 70000\n", {}, "http.port: must be between"),
        ("", {"LEADINTAKE_HTTP_PORT": "eighty"}, "LEADINTAKE_HTTP_PORT: must be an integer"),
        ("[database]\nurl = 'mysql://x'\n", {}, "database.url: must start with"),
        ("[[managers]]\nlogin = 'Bad Login'\nname = 'x'\n", {}, "managers[0].login"),
        (
            "[[managers]]\nlogin = 'a'\nname = 'x'\ntimezone = 'Mars/Base'\n",
            {},
            "managers[0].timezone: unknown time zone",
        ),
        ("[[managers]]\nlogin = 'a'\nname = 'x'\nrole = 'boss'\n", {}, "managers[0].role"),
        (
            "[[queues]]\nkey = 'q'\nname = 'Q'\nmanagers = ['ghost']\n",
            {},
            "queues[0].managers: unknown manager 'ghost'",
        ),
        (
            "[[pipelines]]\nkey = 'p'\nname = 'P'\nstages = [{key = 'a', name = 'A'}]\n",
            {},
            "pipelines[0].stages: a pipeline needs one stage of kind 'won'",
        ),
        ("[[forms]]\nname = 'no key'\n", {}, "forms[0].key: is required"),
        ("[http\n", {}, "not valid TOML"),
    ],
)
def test_invalid_config_names_key_and_problem(
    tmp_path: Path, toml: str, environ: dict[str, str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, "utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, environ=environ)
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value) or "LEADINTAKE" in str(excinfo.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml", environ={})
