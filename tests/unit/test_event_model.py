"""The channel-neutral event survives its JSON round trip unchanged."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from channels.model import Attribution, ConsentGiven, EventKind, InboundEvent, PersonDetails


def test_to_json_round_trips_every_field() -> None:
    event = InboundEvent(
        channel="webform",
        source="site",
        external_id="site:1",
        received_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        person=PersonDetails(
            name="Иван",
            first_name="Иван",
            last_name="Петров",
            patronymic="Сергеевич",
            phone="8 916",
            email="a@b.ru",
            company="ООО",
            position="CEO",
            messenger_ids={"telegram": "42"},
        ),
        comment="Привет",
        attribution=Attribution(utm={"utm_source": "ya"}, page_url="https://x", referrer="r"),
        consent=ConsentGiven(given=True, text_version="v1", raw_value="on"),
        fields={"a": "b"},
        meta={"formid": "f"},
        kind=EventKind.MESSAGE,
    )
    data = json.loads(json.dumps(event.to_json()))
    assert InboundEvent.from_json(data) == event
    expected = asdict(event)
    expected["received_at"] = event.received_at.isoformat()
    assert data == expected


@pytest.mark.parametrize(
    ("channel", "event_type", "kind"),
    [
        ("webform", None, EventKind.REQUEST),
        ("telegram", None, EventKind.MESSAGE),
        ("email", None, EventKind.MESSAGE),
        ("vk", "message_new", EventKind.MESSAGE),
        ("vk", "lead_forms_new", EventKind.REQUEST),
        ("call", None, EventKind.CALL),
    ],
)
def test_rows_stored_before_kind_existed_get_the_kind_they_had(
    channel: str, event_type: str | None, kind: EventKind
) -> None:
    data = InboundEvent(
        channel=channel,
        source="s",
        external_id="1",
        received_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        person=PersonDetails(),
        meta={"event_type": event_type} if event_type else {},
    ).to_json()
    del data["kind"]
    assert InboundEvent.from_json(data).kind is kind
