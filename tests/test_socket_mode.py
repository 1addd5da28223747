"""Socket Mode on a real `support-bot serve`: stoppable in every state, health that is true."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from aiohttp import WSMsgType, web

from bot.sandbox.http import bind_loopback
from bot.server import serve
from tests.test_serve import Backends, SocketModePeer, backends, environment, free_port

__all__ = ["backends"]  # the fixture, shared with test_serve

STOPPED_WITHIN = 5.0  # seconds from SIGTERM/SIGINT to exit, docker stop's budget is 10


class Serving:
    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.health_url = f"http://127.0.0.1:{port}/healthz"
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode())

    async def health(self) -> int | None:
        async with httpx.AsyncClient() as client:
            try:
                return (await client.get(self.health_url, timeout=2)).status_code
            except httpx.TransportError:
                return None

    async def until_health(self, status: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while (await self.health()) != status:
            if self.process.returncode is not None or time.monotonic() > deadline:
                pytest.fail(f"/healthz never answered {status}:\n{''.join(self.lines)}")
            await asyncio.sleep(0.1)

    async def stop(self, signal_number: int = signal.SIGTERM) -> float:
        """Send the signal; seconds until the process had exited."""
        started = time.monotonic()
        self.process.send_signal(signal_number)
        await asyncio.wait_for(self.process.wait(), 20)
        await self._reader
        return time.monotonic() - started


@asynccontextmanager
async def serving(backends: Backends, **overrides: object) -> AsyncIterator[Serving]:
    port = free_port()
    env = environment(backends.settings(slack_app_token=backends.slack.app_token, **overrides))
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield Serving(process, port)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def assert_clean_exit(server: Serving, took: float) -> None:
    logs = "".join(server.lines)
    assert server.process.returncode == 0, logs
    assert took < STOPPED_WITHIN, logs
    assert "Traceback" not in logs
    for line in server.lines:
        json.loads(line)  # every line is one JSON event


def dead_url() -> str:
    return f"ws://127.0.0.1:{free_port()}/link"


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
async def test_stops_while_it_cannot_connect(backends: Backends, signal_number: int) -> None:
    backends.slack.socket_mode_url = dead_url()
    async with serving(backends) as server:
        await server.until_health(503)  # up, but the socket is down
        await backends.slack.wait_for_call("apps.connections.open", count=2, timeout=15)
        await asyncio.sleep(0.5)  # well inside the retry loop
        took = await server.stop(signal_number)
    assert_clean_exit(server, took)


async def test_stops_while_connected(backends: Backends) -> None:
    peer = SocketModePeer()
    async with peer.serve() as url, serving(backends) as server:
        backends.slack.socket_mode_url = url
        await asyncio.wait_for(peer.connected.wait(), 15)
        await server.until_health(200)
        took = await server.stop()
    assert_clean_exit(server, took)


async def test_stops_while_reconnecting_and_health_fails_while_down(backends: Backends) -> None:
    peer = SocketModePeer()
    async with peer.serve() as url, serving(backends) as server:
        backends.slack.socket_mode_url = url
        await asyncio.wait_for(peer.connected.wait(), 15)
        await server.until_health(200)
        backends.slack.socket_mode_url = dead_url()  # Slack's next URL leads nowhere
        assert peer.socket is not None
        await peer.socket.close()
        await server.until_health(503, timeout=10)
        took = await server.stop()
    assert_clean_exit(server, took)


async def test_drains_an_acked_command_then_stops(backends: Backends) -> None:
    backends.bangwo8.faults.inject(latency=1.5, method="GET")
    peer = SocketModePeer()
    async with peer.serve() as url, serving(backends, http_timeout=5.0) as server:
        backends.slack.socket_mode_url = url
        await asyncio.wait_for(peer.connected.wait(), 15)
        await peer.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": backends.slack.command_fields("/binding", "30851821 dd"),
            }
        )
        ack = await asyncio.wait_for(peer.received.get(), 10)
        took = await server.stop()  # while the lookup waits on the slow backend

    assert ack["envelope_id"] == "env-1"
    assert_clean_exit(server, took)
    # A slow answer: the placeholder after about a second, then the answer replacing it.
    placeholder, answer = backends.slack.response_posts
    assert "Looking up" in json.dumps(placeholder.body)
    assert "`10014850`" in json.dumps(answer.body)


class SilentPeer:
    """A Slack end that stops answering: takes the connection, then never pongs."""

    def __init__(self) -> None:
        self.connections = 0

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)
        await socket.prepare(request)
        self.connections += 1
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:  # pings arrive and go unanswered
            if message.type is WSMsgType.CLOSE:
                break
        return socket

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/link", self.link)
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        sock = bind_loopback()
        await web.SockSite(runner, sock).start()
        try:
            yield f"ws://127.0.0.1:{sock.getsockname()[1]}/link"
        finally:
            await runner.cleanup()


async def test_a_connection_that_stops_answering_is_replaced_within_seconds(
    backends: Backends,
) -> None:
    peer = SilentPeer()
    stop = asyncio.Event()
    async with peer.serve() as url:
        backends.slack.socket_mode_url = url
        settings = backends.settings(slack_app_token=backends.slack.app_token)
        serving_task = asyncio.create_task(
            serve(settings, host="127.0.0.1", port=free_port(), stop=stop)
        )
        try:
            await backends.slack.wait_for(lambda: peer.connections >= 1, timeout=15)
            connected = time.monotonic()
            await backends.slack.wait_for(lambda: peer.connections >= 2, timeout=30)
            replaced_after = time.monotonic() - connected
        finally:
            stop.set()
            await asyncio.wait_for(serving_task, 15)
    # slack_sdk's default ping interval took 9-19 s to notice; a few seconds now.
    assert replaced_after < 8, replaced_after
