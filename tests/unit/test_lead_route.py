"""Where a lead goes and which rule picked its queue (the routing preview's "why")."""

from __future__ import annotations

from collections.abc import Callable

from config import Settings
from intake.sales_setup import RoutedBy, lead_route

EXTRA = """
[[queues]]
key = "messengers"
name = "Мессенджеры"
managers = ["petrov"]
channels = ["telegram"]

[[forms]]
key = "partner"
name = "Партнёрская заявка"
queue = "messengers"
"""


def test_lead_route_names_the_rule_that_picked_the_queue(
    write_config: Callable[[str], Settings],
) -> None:
    settings = write_config(EXTRA)
    assert lead_route(settings, "webform", "partner").queue == "messengers"
    assert lead_route(settings, "webform", "partner").routed_by is RoutedBy.FORM
    assert lead_route(settings, "webform", "partner").form == "partner"
    telegram = lead_route(settings, "telegram", "any-bot")
    assert (telegram.queue, telegram.routed_by, telegram.form) == (
        "messengers",
        RoutedBy.CHANNEL,
        None,
    )
    email = lead_route(settings, "email", "")
    assert (email.queue, email.routed_by, email.pipeline) == ("main", RoutedBy.FIRST_QUEUE, "main")
    # A webform source that is no configured form is routed as the channel.
    assert lead_route(settings, "webform", "unknown").routed_by is RoutedBy.FIRST_QUEUE
