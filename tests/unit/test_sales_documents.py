"""The sales setup as documents: canonical, checked as a whole, and TOML both ways."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.sales_documents import (
    KINDS,
    check_documents,
    documents_of,
    duration_text,
    read_sales_toml,
    sales_toml,
)
from intake.team_settings import file_sales

DEMO = Path(__file__).resolve().parents[2] / "config" / "default.toml"


def test_the_demo_setup_round_trips_through_documents_and_toml() -> None:
    sales = file_sales(load_settings(DEMO, environ={}))
    documents = documents_of(sales)
    assert check_documents(documents, "database", {}) == sales
    text = sales_toml(documents)
    again, present = read_sales_toml(text, "team.toml", {})
    assert present == set(KINDS)
    assert again == sales
    assert sales_toml(documents_of(again)) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(90, "1m30s"), (900, "15m"), (5400, "1h30m"), (259200, "3d"), (0, "0s")]
)
def test_durations_are_written_as_the_file_writes_them(seconds: int, text: str) -> None:
    assert duration_text(timedelta(seconds=seconds)) == text


def test_a_queue_nobody_can_ever_take_is_refused_naming_its_members() -> None:
    documents = documents_of(file_sales(load_settings(DEMO, environ={})))
    queues = [dict(q) for q in documents["queues"]]
    queues[0] = {**queues[0], "managers": [], "fallback": "wait"}
    with pytest.raises(ConfigError, match=r"queues\[0\]\.managers: nobody in this queue") as err:
        check_documents({**documents, "queues": queues}, "settings", {})
    assert err.value.field == "queues[0].managers"


def test_a_form_naming_a_missing_queue_is_refused_naming_the_form() -> None:
    documents = documents_of(file_sales(load_settings(DEMO, environ={})))
    with pytest.raises(ConfigError) as err:
        check_documents({**documents, "queues": []}, "settings", {})
    assert err.value.field == "forms[0].queue"
