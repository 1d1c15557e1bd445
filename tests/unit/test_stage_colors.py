"""A stage's colour: `#rrggbb`, checked by the config checker, kept through export/import and
handed to the domain's stage (the board paints its column with it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from config import ConfigError, Settings
from config.sales_documents import documents_of, read_sales_toml, sales_toml
from intake.pipeline_changes import deals_text
from intake.sales_setup import build_pipelines
from intake.team_settings import file_sales

COLOURED = """
[[pipelines]]
key = "wholesale"
name = "Опт"
stages = [
  {{ key = "new", name = "Новая", color = "#3B82F6" }},
  {{ key = "won", name = "Успешно", kind = "won", color = "#10b981" }},
  {{ key = "lost", name = "Провалено", kind = "lost" }},
]
"""


def test_a_colour_is_kept_in_lowercase_and_reaches_the_domain(
    write_config: Callable[[str], Settings],
) -> None:
    settings = write_config(COLOURED.format())
    [_, wholesale] = settings.pipelines
    assert [s.color for s in wholesale.stages] == ["#3b82f6", "#10b981", None]
    stages = build_pipelines(settings)["wholesale"].stages
    assert [s.color for s in stages] == ["#3b82f6", "#10b981", None]
    doc = documents_of(file_sales(settings))["pipelines"][1]
    assert doc["stages"][0]["color"] == "#3b82f6" and "color" not in doc["stages"][2]


def test_a_colour_survives_export_and_import(write_config: Callable[[str], Settings]) -> None:
    documents = documents_of(file_sales(write_config(COLOURED.format())))
    text = sales_toml(documents, ("pipelines",))
    again, present = read_sales_toml(text, "team.toml")
    assert present == {"pipelines"}
    assert documents_of(again)["pipelines"] == documents["pipelines"]


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "3b82f6", "#3b82f6ff"])
def test_a_colour_not_written_as_rrggbb_is_refused_naming_the_field(
    write_config: Callable[[str], Settings], colour: str
) -> None:
    with pytest.raises(ConfigError, match=r"pipelines\[1\]\.stages\[0\]\.color: .*#rrggbb"):
        write_config(COLOURED.format().replace("#3B82F6", colour))


@pytest.mark.parametrize(
    ("count", "text"),
    [(1, "1 сделка"), (3, "3 сделки"), (5, "5 сделок"), (11, "11 сделок"), (21, "21 сделка")],
)
def test_deals_are_counted_in_russian(count: int, text: str) -> None:
    assert deals_text(count) == text
