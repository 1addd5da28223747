"""`support-bot serve` in both modes, `check`, and start-up with a setting missing."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.check import run_check
from bot.cli import main
from bot.sandbox.bangwo8 import Bangwo8Emulator
from bot.sandbox.harness import sandbox_settings
from bot.sandbox.http import bind_loopback, serve_asgi
from bot.sandbox.slack import SlackEmulator
from bot.sandbox.user_customer import UserCustomerEmulator
from bot.server import serve
from bot.settings import Settings
from bot.store import ApprovalStore, normalize_database_url

REPO = Path(__file__).resolve().parent.parent
BOT_TOKEN = "xoxb-test-7f3a9c1d"
SIGNING_SECRET = "signing-test-5e2b8d40"
PASSWORD = "bangwo8-pw-c41d77e2"
Json = dict[str, Any]


@dataclass
class Backends:
    slack: SlackEmulator
    bangwo8: Bangwo8Emulator
    bangwo8_url: str
    user_customer_url: str
    database: Path

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"bangwo8_password": PASSWORD, **overrides}
        return sandbox_settings(
            slack=self.slack,
            bangwo8_url=values.pop("bangwo8_url", self.bangwo8_url),
            user_customer_url=values.pop("user_customer_url", self.user_customer_url),
            database=self.database,
            **values,
        )


@pytest.fixture
async def backends(tmp_path: Path) -> AsyncIterator[Backends]:
    """Emulated Slack, bangwo8 and UserCustomer on loopback ports, for a bot started apart."""
    slack = SlackEmulator(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    bangwo8 = Bangwo8Emulator(password=PASSWORD)
    bangwo8.seed_sample()
    user_customer = UserCustomerEmulator()
    user_customer.seed_sample()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(slack.serve())
        bangwo8_url = await stack.enter_async_context(serve_asgi(bangwo8.app))
        user_customer_url = await stack.enter_async_context(serve_asgi(user_customer.app))
        yield Backends(slack, bangwo8, bangwo8_url, user_customer_url, tmp_path / "store.db")


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables an operator would set."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, frozenset):
            value = ",".join(sorted(value))
        elif isinstance(value, timedelta):
            value = int(value.total_seconds())
        env[name.upper()] = str(value)
    return env


def _ephemeral_ports() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)  # Linux's default


def free_port() -> int:
    """A port free now, for a child process to bind later. Taken below the kernel's ephemeral
    range: every outgoing connection of every test worker draws its local port from that
    range, and one took a port found free there before the child could bind it (CI: "address
    already in use")."""
    below = range(10000, _ephemeral_ports().start)
    for _ in range(200):
        port = random.choice(below)
        try:
            bind_loopback(port).close()
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port in {below}")


async def until_healthy(process: asyncio.subprocess.Process, base_url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                pytest.fail(f"serve exited with {process.returncode}")
            try:
                return await client.get(f"{base_url}/healthz")
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    pytest.fail("serve never answered /healthz")


# ---- HTTP ---------------------------------------------------------------------------------


async def test_http_serve_answers_then_drains_an_acked_lookup_on_sigterm(
    backends: Backends, tmp_path: Path
) -> None:
    backends.bangwo8.faults.inject(latency=1.5, method="GET")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment(backends.settings(http_timeout=5.0)),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        health = await until_healthy(process, f"http://127.0.0.1:{port}")
        backends.slack.app_url = f"http://127.0.0.1:{port}/slack/events"
        ack = await backends.slack.slash_command("/binding", "30851821 dd")
        process.send_signal(signal.SIGTERM)  # while the lookup waits on the slow backend
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert health.status_code == 200 and health.json() == {"ok": True, "store": "ok"}
    assert ack.status == 200 and ack.elapsed < 1.5  # before the backend could answer
    assert process.returncode == 0, stderr.decode()
    # The answer came after SIGTERM, before the process exited.
    # A slow answer: the placeholder after about a second, then the answer replacing it.
    placeholder, answer = backends.slack.response_posts
    assert "Looking up" in json.dumps(placeholder.body)
    assert "`10014850`" in json.dumps(answer.body)
    backends.slack.assert_clean()
    logs = stderr.decode()
    events = [json.loads(line) for line in logs.splitlines()]
    assert any(e["event"] == "lookup" and e["user"] == "U0AGENT" for e in events)
    for secret in (BOT_TOKEN, SIGNING_SECRET, PASSWORD):
        assert secret not in logs


# ---- Socket Mode ----------------------------------------------------------------------------


class SocketModePeer:
    """Slack's end of a Socket Mode connection: says hello, sends envelopes, takes acks."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.received: asyncio.Queue[Json] = asyncio.Queue()
        self.socket: web.WebSocketResponse | None = None

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0SANDBOX"}}
        )
        self.socket = socket
        self.connected.set()
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                await self.received.put(json.loads(message.data))
        return socket

    async def send(self, envelope: Json) -> None:
        assert self.socket is not None
        await self.socket.send_json(envelope)

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_get("/link", self.link)
        runner = web.AppRunner(app)
        await runner.setup()
        sock = bind_loopback()
        await web.SockSite(runner, sock).start()
        try:
            yield f"ws://127.0.0.1:{sock.getsockname()[1]}/link"
        finally:
            await runner.cleanup()


async def test_socket_mode_acks_a_slash_command_envelope_and_answers(backends: Backends) -> None:
    peer = SocketModePeer()
    async with peer.serve() as url:
        backends.slack.socket_mode_url = url
        stop = asyncio.Event()
        settings = backends.settings(slack_app_token=backends.slack.app_token)
        serving = asyncio.create_task(
            serve(settings, host="127.0.0.1", port=free_port(), stop=stop)
        )
        try:
            await asyncio.wait_for(peer.connected.wait(), 10)
            payload = backends.slack.command_fields("/binding", "30851821 dd")
            await peer.send(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            ack = await asyncio.wait_for(peer.received.get(), 10)
            await backends.slack.wait_for_response_posts(1)
        finally:
            stop.set()
            await asyncio.wait_for(serving, 10)

    opened = [c for c in backends.slack.calls if c.method == "apps.connections.open"]
    assert opened, "the app asked Slack for its websocket URL with the app-level token"
    assert ack["envelope_id"] == "env-1"
    # An empty ack; a fast answer is the one response_url post (no placeholder before it).
    assert not ack.get("payload")
    [answer] = backends.slack.response_posts
    assert "`10014850`" in json.dumps(answer.body)
    backends.slack.assert_clean()


# ---- check ----------------------------------------------------------------------------------


async def test_check_reports_every_dependency_ok(backends: Backends) -> None:
    out = StringIO()
    assert await run_check(backends.settings(), out=out) == 0
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "configuration",
        "schema",
        "store",
        "bangwo8",
        "UserCustomer",
        "Slack",
    ]
    assert all(": ok" in line for line in lines)


async def test_check_says_whether_the_schema_is_current(backends: Backends) -> None:
    out = StringIO()
    assert await run_check(backends.settings(), out=out) == 0  # a new database
    assert (
        "schema: ok (NOT current: at revision none; serve migrates it to 0004 at start)"
        in out.getvalue()
    )
    out = StringIO()
    assert await run_check(backends.settings(), out=out) == 0  # a check changes nothing
    assert "schema: ok (NOT current: at revision none;" in out.getvalue()
    await (await ApprovalStore.open(backends.settings().database_url)).close()  # as serve does
    out = StringIO()
    assert await run_check(backends.settings(), out=out) == 0
    assert "schema: ok (current, revision 0004)" in out.getvalue()
    engine = create_async_engine(normalize_database_url(backends.settings().database_url))
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    await engine.dispose()
    out = StringIO()
    assert await run_check(backends.settings(), out=out) == 1
    assert "schema: FAILED: the database is at revision 0099, which this version" in out.getvalue()


async def test_check_names_refused_credentials(backends: Backends) -> None:
    out = StringIO()
    assert await run_check(backends.settings(bangwo8_password="wrong"), out=out) == 1
    report = out.getvalue()
    assert (
        "bangwo8: FAILED: bangwo8 refused the bot's credentials. "
        "Check BANGWO8_ACCOUNT / BANGWO8_PASSWORD." in report
    )
    assert "UserCustomer: ok" in report and "Slack: ok" in report
    assert "wrong" not in report


async def test_check_says_a_down_backend_could_not_be_reached(backends: Backends) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    out = StringIO()
    assert await run_check(backends.settings(user_customer_url=down), out=out) == 1
    report = out.getvalue()
    assert (
        f"UserCustomer: FAILED: UserCustomer could not be reached. (USER_CUSTOMER_BASE_URL={down})"
        in report
    )
    assert "bangwo8: ok" in report


def test_a_missing_setting_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    everything_but_bangwo8_url = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "BANGWO8_ACCOUNT": "agent@example.com",
        "BANGWO8_PASSWORD": PASSWORD,
        "USER_CUSTOMER_BASE_URL": "http://127.0.0.1:9",
        "USER_CUSTOMER_TOKEN": "uc-static-token",
    }
    for name, value in everything_but_bangwo8_url.items():
        monkeypatch.setenv(name, value)

    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        "support-bot: configuration error: BANGWO8_BASE_URL is not set: set it to the bangwo8"
        " API base URL, e.g. https://www.bangwo8.com\n"
    )
