"""The channel-neutral event survives its JSON round trip unchanged."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from channels.model import Attribution, ConsentGiven, InboundEvent, PersonDetails


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
    )
    data = json.loads(json.dumps(event.to_json()))
    assert InboundEvent.from_json(data) == event
    expected = asdict(event)
    expected["received_at"] = event.received_at.isoformat()
    assert data == expected
