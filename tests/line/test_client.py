"""`LineClient` against the LINE emulator over real HTTP: message content."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator

import pytest

from app.line.client import LineClient
from app.line.errors import LinePermanent, LineRetryable
from tests.conftest import ACCESS_TOKEN

CONTENT = "/v2/bot/message/{}/content"


def closed_port_url() -> str:
    """A base URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@contextlib.asynccontextmanager
async def opened(**kwargs) -> AsyncIterator[LineClient]:
    client = LineClient(access_token=ACCESS_TOKEN, timeout_seconds=0.5, **kwargs)
    await client.open()
    try:
        yield client
    finally:
        await client.close()


async def test_content_returns_the_bytes_and_their_type(emulator):
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 50_000
    emulator.add_content("600001", photo)
    emulator.add_content("600002", b"\x89PNG", content_type="image/png")
    async with opened(base_url=emulator.base_url) as line:
        assert await line.content("600001") == (photo, "image/jpeg")
        assert await line.content("600002") == (b"\x89PNG", "image/png")
    assert [(r.path, r.headers["authorization"]) for r in emulator.requests] == [
        (CONTENT.format("600001"), f"Bearer {ACCESS_TOKEN}"), (CONTENT.format("600002"), f"Bearer {ACCESS_TOKEN}")]


async def test_unknown_content_is_permanent_404(emulator):
    async with opened(base_url=emulator.base_url) as line:
        with pytest.raises(LinePermanent) as missing:
            await line.content("600404")
    assert missing.value.status == 404
    assert str(missing.value) == "404: Not found"


async def test_content_faults_and_timeouts_are_retryable(emulator):
    emulator.add_content("600003", b"image")
    emulator.add_fault("/content", status=503)
    emulator.add_fault("/content", status=0, delay_seconds=1.0)
    async with opened(base_url=emulator.base_url) as line:
        with pytest.raises(LineRetryable) as unavailable:
            await line.content("600003")
        assert unavailable.value.status == 503
        with pytest.raises(LineRetryable):  # the client's timeout is 0.5 s
            await line.content("600003")
        assert await line.content("600003") == (b"image", "image/jpeg")


async def test_content_goes_to_data_base_url_and_nothing_else_does(emulator):
    emulator.add_content("600004", b"image")
    emulator.add_user("U" + "4" * 32, "สมชาย")
    async with opened(base_url=closed_port_url(), data_base_url=emulator.base_url) as line:
        assert await line.content("600004") == (b"image", "image/jpeg")
        with pytest.raises(LineRetryable):  # the profile API is on base_url: nothing listens
            await line.display_name("U" + "4" * 32)
    async with opened(base_url=emulator.base_url, data_base_url=closed_port_url()) as line:
        assert await line.display_name("U" + "4" * 32) == "สมชาย"
        with pytest.raises(LineRetryable):
            await line.content("600004")
    assert [r.path for r in emulator.requests] == [CONTENT.format("600004"), "/v2/bot/profile/U" + "4" * 32]


def test_data_base_url_defaults():
    def data_host(**kwargs) -> str:
        return LineClient(access_token="t", timeout_seconds=1, **kwargs)._data_config.host

    assert data_host(base_url="https://api.line.me") == "https://api-data.line.me"
    assert data_host(base_url="http://127.0.0.1:8000/line-emulator/") == "http://127.0.0.1:8000/line-emulator"
    assert data_host(base_url="https://api.line.me", data_base_url="http://127.0.0.1:9/") == "http://127.0.0.1:9"


async def test_content_needs_an_open_client():
    with pytest.raises(RuntimeError):
        await LineClient(base_url="https://api.line.me", access_token="t", timeout_seconds=1).content("1")


async def test_the_proxy_is_read_from_the_environment_once(emulator, monkeypatch):
    """HTTP(S)_PROXY and NO_PROXY are honoured as aiohttp's trust_env would, read at open."""
    monkeypatch.setenv("HTTP_PROXY", closed_port_url())
    async with opened(base_url=emulator.base_url) as line:
        with pytest.raises(LineRetryable):  # through a proxy that is not there
            await line.push("U1", [{"type": "text", "text": "ผ่านพร็อกซี"}], retry_key="6f0c0b39-1c49-4bd4-9c55-1d4b7a1f0001")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with opened(base_url=emulator.base_url) as line:
        await line.push("U1", [{"type": "text", "text": "ตรงถึง"}], retry_key="6f0c0b39-1c49-4bd4-9c55-1d4b7a1f0002")
    assert [m["text"] for m in emulator.accepted_messages("U1")] == ["ตรงถึง"]
