"""Pure parts of the CRM connectors: the request-limit bucket and Bitrix24 field building."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crm_core.webhooks import ConnectorHealth, Delivery, DeliveryStatus
from intake.connectors.bitrix24 import Ref, lead_fields, name_parts, php_query
from intake.connectors.dispatch import never_tried
from intake.connectors.ratelimit import TokenBucket
from intake.connectors.setup import health_json
from tests.bitrix24_standin import php_params


class FakeClock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=50, clock=clock)
    for _ in range(50):
        assert bucket.wait_seconds() == 0
        bucket._tokens -= 1  # what take() does once the wait is over
    assert bucket.wait_seconds() == 0.5
    clock.now += 0.25
    assert bucket.wait_seconds() == 0.25
    clock.now += 100  # idle time refills no more than the burst
    assert bucket.wait_seconds() == 0
    assert bucket._tokens == 50


def test_name_parts_follow_the_usual_order_of_russian_forms() -> None:
    assert name_parts("Петров Иван Сергеевич") == {
        "LAST_NAME": "Петров",
        "NAME": "Иван",
        "SECOND_NAME": "Сергеевич",
    }
    assert name_parts("Иван Петров") == {"NAME": "Иван", "LAST_NAME": "Петров"}
    assert name_parts("  ") == {}


def test_lead_fields_carry_multifields_utm_and_the_mapped_user() -> None:
    data = {
        "name": "Иван",
        "phone": "+79161234567",
        "email": "ivan@mail.ru",
        "comment": "Нужен счёт",
        "channel": "webform",
        "assignee": "ivanova",
        "utm": {"utm_source": "yandex", "utm_term": "окна"},
    }
    fields = lead_fields(data, {"users": {"ivanova": 11}, "source_id": "WEB"}, "NEW")
    assert fields["PHONE"] == [{"VALUE": "+79161234567", "VALUE_TYPE": "WORK"}]
    assert fields["EMAIL"] == [{"VALUE": "ivan@mail.ru", "VALUE_TYPE": "WORK"}]
    assert fields["UTM_SOURCE"] == "yandex" and fields["UTM_TERM"] == "окна"
    assert fields["ASSIGNED_BY_ID"] == 11 and fields["SOURCE_ID"] == "WEB"
    assert fields["COMMENTS"] == "Нужен счёт" and fields["TITLE"] == "Иван (webform)"


def test_health_is_failing_only_while_the_last_outcome_is_a_failure() -> None:
    at = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    later = at + timedelta(minutes=1)

    def state(success: datetime | None, failure: datetime | None, active: bool = True) -> str:
        found = ConnectorHealth(1, "bitrix24", active, success, failure, "boom", 0, 0)
        return str(health_json(found, details=False)["state"])

    assert state(None, None) == "idle"
    assert state(at, None) == "ok"
    assert state(at, later) == "failing"
    assert state(later, at) == "ok"
    assert state(None, at) == "failing"
    assert state(at, None, active=False) == "disabled"
    found = ConnectorHealth(1, "amocrm", True, None, at, "401", 2, 1)
    assert "last_error" not in health_json(found, details=False)
    assert health_json(found, details=True)["last_error"] == "401"


def test_only_a_delivery_never_tried_nor_replayed_skips_the_look_up() -> None:
    at = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    first = Delivery(
        1, 1, "msg_1", "evt_1", "lead.created", "lead:1", "{}", DeliveryStatus.PENDING, 1,
        at, at, at,
    )  # fmt: skip
    assert never_tried(first)
    assert not never_tried(replace(first, attempts=2))  # a lease ran out mid-try
    assert not never_tried(replace(first, last_attempt_at=at))  # replayed after a try


def test_batch_commands_are_written_as_php_queries_with_raw_result_references() -> None:
    fields = {
        "TITLE": "ООО «Ромашка» & Ко",
        "PHONE": [{"VALUE": "+79161000005", "VALUE_TYPE": "WORK"}],
        "CONTACT_ID": Ref("contact"),
        "OPENED": True,
    }
    query = php_query({"fields": fields})
    assert "fields[CONTACT_ID]=$result[contact]" in query
    assert "fields[PHONE][0][VALUE]=%2B79161000005" in query
    # The stand-in reads it back as Bitrix24 does (after substituting the reference).
    assert php_params(query.replace("$result[contact]", "17")) == {
        "fields": {**fields, "CONTACT_ID": "17", "OPENED": "Y"}
    }
