"""Pure parts of the CRM connectors: the request-limit bucket and Bitrix24 field building."""

from __future__ import annotations

from intake.connectors.bitrix24 import lead_fields, name_parts
from intake.connectors.ratelimit import TokenBucket


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
