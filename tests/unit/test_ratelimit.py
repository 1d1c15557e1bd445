"""Token buckets per (form, client) and the client address behind trusted proxies."""

from __future__ import annotations

from config.abuse_settings import FormRate
from intake.http.client_ip import TrustedProxies, limit_key
from intake.http.ratelimit import TokenBuckets

RATE = FormRate(per_minute=20, burst=10)
KEY = ("site", "203.0.113.7")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_next_waits_for_a_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(100, clock)
    assert [buckets.take(KEY, RATE) for _ in range(10)] == [0.0] * 10
    assert buckets.take(KEY, RATE) == 3.0  # 20 a minute: one token every 3 s
    clock.now += 3
    assert buckets.take(KEY, RATE) == 0.0
    assert buckets.take(KEY, RATE) > 0


def test_forms_and_clients_have_buckets_of_their_own() -> None:
    buckets = TokenBuckets(100, Clock())
    for _ in range(10):
        buckets.take(KEY, RATE)
    assert buckets.take(KEY, RATE) > 0
    assert buckets.take(("site", "203.0.113.8"), RATE) == 0.0
    assert buckets.take(("other", "203.0.113.7"), RATE) == 0.0


def test_a_bucket_full_again_is_forgotten() -> None:
    clock = Clock()
    buckets = TokenBuckets(100, clock)
    for i in range(50):
        buckets.take(("site", f"10.0.0.{i}"), RATE)
    assert len(buckets) == 50
    clock.now += 3.1  # one token back: every bucket is full again
    buckets.take(KEY, RATE)
    assert len(buckets) == 1


def test_the_number_of_tracked_clients_is_capped() -> None:
    buckets = TokenBuckets(100, Clock())
    for i in range(1000):
        buckets.take(("site", f"10.0.{i // 256}.{i % 256}"), RATE)
    assert len(buckets) == 100


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    proxies = TrustedProxies(["127.0.0.1/32", "::1/128", "10.0.0.0/8"])
    assert proxies.client_ip("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert proxies.client_ip("::1", "2001:db8::1") == "2001:db8::1"
    # Through two of our proxies; the left-most hops are whatever the client wrote.
    assert proxies.client_ip("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert proxies.client_ip("198.51.100.9", "203.0.113.7") == "198.51.100.9"
    assert proxies.client_ip("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client_ip("127.0.0.1", "not-an-ip") == "127.0.0.1"
    assert proxies.client_ip(None, "203.0.113.7") == "unknown"


def test_an_ipv6_client_is_counted_by_its_64_prefix() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::9")
    assert limit_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("203.0.113.7") == "203.0.113.7"
    assert limit_key("unknown") == "unknown"
