"""Standard Webhooks signing, the secret's shape, and which receiver URLs are allowed."""

from __future__ import annotations

import base64

import pytest

from intake.webhooks.signing import headers, new_secret, sign
from intake.webhooks.targets import PublicResolver, TargetRefused, check_url, private_host


def test_the_signature_matches_the_specifications_example() -> None:
    # The example of the Standard Webhooks specification's reference tests.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_24_random_bytes_after_the_prefix() -> None:
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_") and one != two
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 24


def test_the_headers_name_the_id_and_time_they_sign() -> None:
    found = headers("whsec_" + base64.b64encode(b"k" * 24).decode(), "msg_1", 1700000000, "{}")
    assert found["webhook-id"] == "msg_1" and found["webhook-timestamp"] == "1700000000"
    assert found["webhook-signature"].startswith("v1,")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "https://10.1.2.3/x",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
        "http://intranet/",
        "http://crm.local/",
    ],
)
def test_private_targets_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_url(url, allow_private=False)
    assert check_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    "url", ["ftp://example.ru/x", "example.ru/hook", "http://user:pw@example.ru/", "http:///x"]
)
def test_only_plain_http_urls_with_a_host_are_receivers(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_url(url, allow_private=True)


def test_a_public_name_or_address_is_allowed() -> None:
    assert check_url(" https://hooks.example.ru/in ", allow_private=False) == (
        "https://hooks.example.ru/in"
    )
    assert not private_host("8.8.8.8")


async def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    # /etc/hosts answers for localhost: no network involved.
    refusing = PublicResolver()
    try:
        with pytest.raises(OSError, match="private address"):
            await refusing.resolve("localhost", 80)
    finally:
        await refusing.close()
