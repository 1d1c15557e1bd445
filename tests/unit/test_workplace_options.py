"""The option lists Входящие renders once per row in Python: escaped, without the assignee."""

from __future__ import annotations

from crm_core.model import Manager, Role
from workplace.pages.shared import manager_options, option_tags


def manager(manager_id: int, login: str, name: str) -> Manager:
    """An active manager in Moscow."""
    return Manager(manager_id, login, name, Role.MANAGER, None, None, "Europe/Moscow", True)


def test_option_tags_escape_keys_and_names() -> None:
    html = str(option_tags({"a&b": '<script>"x"</script>', "spam": "Спам"}))
    assert html == (
        '<option value="a&amp;b">&lt;script&gt;&#34;x&#34;&lt;/script&gt;</option>'
        '<option value="spam">Спам</option>'
    )


def test_manager_options_leave_out_the_current_assignee_and_keep_the_order() -> None:
    team = [manager(1, "ivanova", "Анна Иванова"), manager(2, "petrov", "Пётр Петров")]
    assert str(manager_options(team, 1)) == '<option value="petrov">Пётр Петров</option>'
    assert str(manager_options(team, None)).count("<option") == 2
