"""The AMI client against a local AMI server: login, events, keep-alive, drops, auth failure."""

from __future__ import annotations

import asyncio
import logging

import pytest

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.telephony.asterisk.ami import AmiClient, format_action, parse_blocks
from tests.channels.telephony.asterisk.ami_server import (
    SECRET,
    USERNAME,
    AmiServer,
    ami_server,
    fixture_events,
)
from tests.integration.polling_support import wait_until


def client(server: AmiServer, secret: str = SECRET, ping_seconds: float = 30.0) -> AmiClient:
    return AmiClient(
        "office",
        "127.0.0.1",
        USERNAME,
        secret,
        port=server.port,
        connect_timeout=2.0,
        ping_seconds=ping_seconds,
    )


async def read_all(ami: AmiClient, count: int) -> list[dict[str, str]]:
    """Read until `count` events arrived (each read takes what is buffered)."""
    events: list[dict[str, str]] = []
    async with asyncio.timeout(5):
        while len(events) < count:
            events.extend(await ami.read_batch())
    return events


async def test_logs_in_and_reads_events_in_order() -> None:
    async with ami_server() as server:
        ami = client(server)
        await ami.connect()
        try:
            assert ami.version == "Asterisk Call Manager/7.0.3"
            [login] = server.login_actions
            assert login["Username"] == USERNAME and login["Secret"] == SECRET
            assert login["Events"] == "call,cdr" and login["ActionID"]
            sent = fixture_events("inbound_answered")
            await server.send(*sent)
            events = await read_all(ami, len(sent) + 1)
        finally:
            await ami.close()
    # FullyBooted comes right after the login, then the call's events exactly as sent.
    assert events[0]["Event"] == "FullyBooted"
    assert events[1:] == sent
    assert server.logoffs == 1


async def test_events_iterator_and_batches_take_what_is_buffered() -> None:
    async with ami_server() as server:
        ami = client(server)
        await ami.connect()
        try:
            await server.send(*fixture_events("outbound"))
            await server.wait_login()
            first = await anext(aiter(ami.events()))
            assert first["Event"] == "FullyBooted"
            rest = await read_all(ami, 12)
            await server.send(*fixture_events("outbound")[:3])
            assert len(await read_all(ami, 3)) == 3
        finally:
            await ami.close()
    assert [e["Event"] for e in rest][:2] == ["Newchannel", "Newchannel"]


async def test_a_wrong_secret_is_channel_auth_failed_and_names_no_secret() -> None:
    async with ami_server() as server:
        ami = client(server, secret="wrong-secret-value")
        with pytest.raises(ChannelAuthFailed) as raised:
            await ami.connect()
    assert "Authentication failed" in str(raised.value)
    assert "wrong-secret-value" not in str(raised.value)
    assert server.logins == [(USERNAME, "Error")]


async def test_a_drop_mid_stream_raises_after_the_events_before_it() -> None:
    async with ami_server() as server:
        ami = client(server)
        await ami.connect()
        try:
            await server.wait_login()
            sent = fixture_events("inbound_answered")[:5]
            await server.send(*sent)
            await read_all(ami, 1)  # FullyBooted
            events = await read_all(ami, 5)
            await server.drop(reset=True)
            with pytest.raises(ChannelUnavailable, match=r"closed by the PBX|connection lost"):
                async with asyncio.timeout(5):
                    await ami.read_batch()
            # Once failed, it stays failed: reconnecting is a new client.
            with pytest.raises(ChannelUnavailable):
                await ami.read_batch()
        finally:
            await ami.close()
    assert events == sent


async def test_events_received_before_a_drop_are_handed_over_first() -> None:
    async with ami_server() as server:
        ami = client(server)
        await ami.connect()
        try:
            await server.wait_login()
            sent = fixture_events("outbound")
            await server.send(*sent)
            await server.drop()
            events: list[dict[str, str]] = []
            with pytest.raises(ChannelUnavailable, match="closed by the PBX"):
                async with asyncio.timeout(5):
                    while True:
                        events.extend(await ami.read_batch(limit=4))
        finally:
            await ami.close()
    assert events[1:] == sent


async def test_keep_alive_pings_and_a_silent_pbx_is_noticed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ami_server() as server:
        ami = client(server, ping_seconds=0.05)
        await ami.connect()
        try:
            await wait_until(lambda: server.pings >= 2)
            server.silent = True  # the link is dead but TCP stays open
            await read_all(ami, 1)  # FullyBooted
            with pytest.raises(ChannelUnavailable, match="keep-alive"):
                async with asyncio.timeout(5):
                    await ami.read_batch()
        finally:
            await ami.close()
    assert SECRET not in caplog.text


async def test_unreachable_pbx_is_channel_unavailable() -> None:
    async with ami_server() as server:
        port = server.port
    ami = AmiClient("office", "127.0.0.1", USERNAME, SECRET, port=port, connect_timeout=1.0)
    with pytest.raises(ChannelUnavailable, match="cannot connect"):
        await ami.connect()


async def test_a_server_that_never_answers_login_times_out() -> None:
    async with ami_server(AmiServer(silent=True)) as server:
        ami = AmiClient(
            "office", "127.0.0.1", USERNAME, SECRET, port=server.port, connect_timeout=0.2
        )
        with pytest.raises(ChannelUnavailable, match="no login within"):
            await ami.connect()


async def test_something_else_on_the_port_is_refused() -> None:
    async with ami_server(AmiServer(banner="SSH-2.0-OpenSSH_9.6")) as server:
        ami = client(server)
        with pytest.raises(ChannelError, match="not an Asterisk Manager Interface"):
            await ami.connect()


def test_wire_format() -> None:
    assert format_action({"Action": "Ping", "ActionID": "7"}) == (
        b"Action: Ping\r\nActionID: 7\r\n\r\n"
    )
    with pytest.raises(ChannelError, match="line breaks"):
        format_action({"Action": "Login", "Secret": "x\r\nAction: Originate"})
    [first, second] = parse_blocks(
        "Event: Hangup\r\nAccountCode: \r\nCause-txt: Normal Clearing\r\n\r\n"
        "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
    )
    assert first == {"Event": "Hangup", "AccountCode": "", "Cause-txt": "Normal Clearing"}
    assert second["Message"] == "Authentication accepted"
