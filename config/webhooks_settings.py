"""`[webhooks]`: how outbound webhooks are delivered (timeouts, retries, allowed targets)."""

from __future__ import annotations

from dataclasses import dataclass

from config.reader import Section


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """A try waits `timeout_seconds` for the receiver; failed tries are repeated after a
    doubling delay (from `base_delay_seconds` up to `max_delay_seconds`, with jitter) until
    `max_age_hours` after the delivery was queued, then it is a dead letter. At most
    `concurrency` deliveries per subscription are in flight at once. Receivers on private or
    loopback addresses are refused unless `allow_private_targets` (tests, an internal bus).
    CRM connectors share these and add their remote CRM's request limits."""

    timeout_seconds: float = 10.0
    base_delay_seconds: float = 5.0
    max_delay_seconds: float = 3600.0
    max_age_hours: float = 72.0
    concurrency: int = 4
    poll_seconds: float = 1.0
    overdue_poll_seconds: float = 60.0
    allow_private_targets: bool = False
    # CRM connectors' request limits: Bitrix24 allows 2 a second with a burst of 50.
    bitrix24_rate: float = 2.0
    bitrix24_burst: int = 50
    # amoCRM allows 7 a second.
    amocrm_rate: float = 7.0
    amocrm_burst: int = 7

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery is the sender's: twice a try plus room to record it
        (a killed sender's delivery is tried again this long after it was claimed)."""
        return self.timeout_seconds * 2 + 5.0


KEYS = (
    "timeout_seconds",
    "base_delay_seconds",
    "max_delay_seconds",
    "max_age_hours",
    "concurrency",
    "poll_seconds",
    "overdue_poll_seconds",
    "allow_private_targets",
    "bitrix24_rate",
    "bitrix24_burst",
    "amocrm_rate",
    "amocrm_burst",
)


def webhook_settings(s: Section) -> WebhookSettings:
    """`[webhooks]`, every value checked."""
    for key in s.data:  # a typo would silently keep the default
        if key not in KEYS:
            raise s.error(key, "unknown key; expected one of " + ", ".join(KEYS))
    base = s.number("base_delay_seconds", 5.0, minimum=0.001)
    cap = s.number("max_delay_seconds", 3600.0, minimum=0.001)
    if cap < base:
        raise s.error("max_delay_seconds", "must not be less than base_delay_seconds")
    return WebhookSettings(
        timeout_seconds=s.number("timeout_seconds", 10.0, minimum=0.01),
        base_delay_seconds=base,
        max_delay_seconds=cap,
        max_age_hours=s.number("max_age_hours", 72.0, minimum=0.0001),
        concurrency=s.integer("concurrency", 4, minimum=1, maximum=100),
        poll_seconds=s.number("poll_seconds", 1.0, minimum=0.01),
        overdue_poll_seconds=s.number("overdue_poll_seconds", 60.0, minimum=0.01),
        allow_private_targets=s.boolean("allow_private_targets", False),
        bitrix24_rate=s.number("bitrix24_rate", 2.0, minimum=0.01),
        bitrix24_burst=s.integer("bitrix24_burst", 50, minimum=1, maximum=1000),
        amocrm_rate=s.number("amocrm_rate", 7.0, minimum=0.01),
        amocrm_burst=s.integer("amocrm_burst", 7, minimum=1, maximum=1000),
    )
