"""Settings: the shipped demo config, environment overrides, and errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings

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
    [pipeline] = settings.pipelines
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


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
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
