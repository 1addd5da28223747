"""Ack latency and throughput of support-bot, side by side with a bare slack-bolt app.

    python benchmarks/ack.py            # the full run, about two and a half minutes
    python benchmarks/ack.py --quick    # fewer rounds, for a first look

Four processes on this machine, all on 127.0.0.1:

- backends: the sandbox's emulated bangwo8, UserCustomer and Slack Web API, plus a small
  control endpoint that sets the emulated bangwo8's latency between phases;
- app: the real app, started exactly as production starts it (`python -m bot.cli serve`,
  settings from the environment, JSON logs at INFO written to a file);
- bare: a slack-bolt `AsyncApp` whose `/binding` listener only acks, behind the same
  Starlette adapter and uvicorn configuration as the app: the framework floor;
- this process: the driver. It signs slash commands as Slack does, sends them over raw
  asyncio connections (one per command, as Slack does) and serves the response_url
  endpoint, so it sees when each answer arrives.

The app and the bare app are measured one after the other, never at once, alternating
which goes first. On Linux with two or more CPUs the server under test gets the last CPU
to itself and the driver and emulators share the others. CPU used by unrelated processes
during the run is reported, since it makes the figures noisier. Figures are printed as a
table and written as JSON to `benchmarks/results/<timestamp>.json`; the exit status is 0
only when every target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import platform
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

RESULTS = Path(__file__).resolve().parent / "results"
SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox"
TEAM = "T0SANDBOX"
AGENT = "U0AGENT"
CHANNEL = "C0SUPPORT"
CONTACT = "30851821"  # seeded with bindings in two of the four sources
SLOW_SOURCE = "wechat"
ACK_DEADLINE = 3.0
FAST, SLOW = 0.01, 5.0  # the emulated bangwo8's answer time, seconds

Json = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """How much of each phase to run."""

    # (backend latency, concurrency) -> rounds; concurrency 1 means sequential commands.
    rounds: dict[tuple[float, int], int]
    throughput_workers: int
    throughput_warmup: float
    throughput_seconds: float
    slowed_lookups: int


FULL = Plan(
    rounds={
        (FAST, 1): 100,
        (FAST, 50): 8,
        (FAST, 200): 4,
        (SLOW, 1): 30,
        (SLOW, 50): 4,
        (SLOW, 200): 2,
    },
    throughput_workers=50,
    throughput_warmup=3.0,
    throughput_seconds=6.0,
    slowed_lookups=5,
)
QUICK = Plan(
    rounds={
        (FAST, 1): 30,
        (FAST, 50): 3,
        (FAST, 200): 2,
        (SLOW, 1): 10,
        (SLOW, 50): 1,
        (SLOW, 200): 1,
    },
    throughput_workers=50,
    throughput_warmup=1.0,
    throughput_seconds=3.0,
    slowed_lookups=3,
)


# ---- child processes: the emulated backends and the bare app ----------------------------


async def serve_backends() -> None:
    """Emulated Slack Web API, bangwo8 and UserCustomer; prints their URLs as one JSON line."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from bot.sandbox.bangwo8 import Bangwo8Emulator
    from bot.sandbox.http import serve_asgi
    from bot.sandbox.slack import SlackEmulator
    from bot.sandbox.user_customer import UserCustomerEmulator

    slack = SlackEmulator(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, team_id=TEAM)
    bangwo8 = Bangwo8Emulator()
    user_customer = UserCustomerEmulator()
    bangwo8.seed_sample()
    user_customer.seed_sample()

    async def set_latency(request: Request) -> Response:
        wanted: Json = await request.json()
        bangwo8.faults.clear()
        bangwo8.requests.clear()  # the emulator records every request; keep this process small
        slow_source = wanted.get("slow_source")
        if slow_source:
            bangwo8.faults.inject(
                latency=float(wanted["slow_latency"]),
                method="GET",
                params={"account_source": slow_source},
            )
        bangwo8.faults.inject(latency=float(wanted["latency"]), method="GET")
        return JSONResponse({"ok": True})

    control = Starlette(routes=[Route("/latency", set_latency, methods=["POST"])])
    async with contextlib.AsyncExitStack() as stack:
        slack.base_url = await stack.enter_async_context(serve_asgi(slack.app))
        urls = {
            "slack_api": slack.api_url,
            "bangwo8": await stack.enter_async_context(serve_asgi(bangwo8.app)),
            "user_customer": await stack.enter_async_context(serve_asgi(user_customer.app)),
            "control": await stack.enter_async_context(serve_asgi(control)),
        }
        print(json.dumps(urls), flush=True)
        await _until_terminated()
        # Emulators keep nothing worth a graceful stop, and uvicorn would wait for every
        # request still sleeping out an injected latency.
        os._exit(0)


async def serve_bare(port: int, slack_api_url: str) -> None:
    """The framework floor: an AsyncApp whose `/binding` only acks, served like the app."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from bot import logs

    logs.configure()  # as the app: INFO and up, as JSON lines
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack_api_url),
        process_before_response=False,
    )

    async def binding(ack: AsyncAck) -> None:
        await ack()

    app.command("/binding")(binding)
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    asgi = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    # The same uvicorn configuration as `bot.server.serve_http`.
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_config=None, access_log=False)
    await uvicorn.Server(config).serve()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()


# ---- raw HTTP/1.1, so the driver costs as little as possible --------------------------------


async def read_message(
    reader: asyncio.StreamReader, *, to_eof: bool = False
) -> tuple[str, dict[str, str], bytes]:
    """One HTTP/1.1 message: start line, lower-cased headers, body."""
    head = await reader.readuntil(b"\r\n\r\n")
    start, *lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")  # no trailers are sent here
        body = b"".join(chunks)
    else:
        body = await reader.read() if to_eof else b""
    return start, headers, body


@dataclass
class Sample:
    """One command: when it was sent, when its ack was read, and when its answer arrived."""

    id: str
    sent: float
    acked: float | None = None
    status: int = 0
    error: str | None = None

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked is None else self.acked - self.sent


async def post(port: int, request: bytes, sample: Sample) -> Sample:
    """Send one request on a fresh connection, as Slack does, and time it to the last byte."""
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        start, _, _ = await read_message(reader, to_eof=True)
        sample.acked = time.perf_counter()
        sample.status = int(start.split(" ", 2)[1])
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        sample.error = type(error).__name__
    finally:
        if writer is not None:
            writer.close()
    return sample


class Commands:
    """Signed `/binding` slash commands, each with a response_url of its own."""

    def __init__(self, response_base: str) -> None:
        self.response_base = response_base
        self._serial = itertools.count(1)

    def build(self, port: int, tag: str, text: str = CONTACT) -> tuple[str, bytes]:
        from bot.sandbox.slack import signature

        serial = next(self._serial)
        command_id = f"{tag}-{serial}"
        fields = {
            "token": "sandbox-verification-token",
            "team_id": TEAM,
            "team_domain": "sandbox",
            "channel_id": CHANNEL,
            "channel_name": "support",
            "user_id": AGENT,
            "user_name": "agent",
            "command": "/binding",
            "text": text,
            "api_app_id": "A0SANDBOX",
            "is_enterprise_install": "false",
            "response_url": f"{self.response_base}/response/{command_id}",
            "trigger_id": f"{serial}.{TEAM}.{secrets.token_hex(8)}",
        }
        body = urlencode(fields).encode()
        stamp = int(time.time())
        head = (
            "POST /slack/events HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Slack-Request-Timestamp: {stamp}\r\n"
            f"X-Slack-Signature: {signature(SIGNING_SECRET, body, stamp)}\r\n"
            "Connection: close\r\n\r\n"
        )
        return command_id, head.encode() + body


@dataclass
class Answer:
    at: float
    body: bytes
    tag: str  # what the command id starts with: who and which phase
    posts: int = 1


class ResponseUrls:
    """The response_url endpoint: records when each command's answer arrives."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                start, headers, body = await read_message(reader)
                arrived = time.perf_counter()
                path = start.split(" ")[1]
                command_id = path.rsplit("/", 1)[-1]
                if command_id in self.answers:
                    self.answers[command_id].posts += 1
                else:
                    self.answers[command_id] = Answer(arrived, body, command_id.rsplit("-", 1)[0])
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 11\r\n\r\n" + b'{"ok":true}'
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        writer.close()

    async def wait_for(self, ids: Iterable[str], timeout: float) -> None:
        wanted = list(ids)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(command_id in self.answers for command_id in wanted):
                return
            await asyncio.sleep(0.02)


# ---- processes --------------------------------------------------------------------------------


def cpu_layout() -> tuple[set[int], set[int]] | None:
    """(CPUs for the driver and the emulators, CPUs for the server under test), or None.

    The app and the bare app each get a core of their own, as in production, and never
    share it with the load they are measured under; on one core nothing is pinned.
    """
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return set(cpus[:-1]), {cpus[-1]}


def pin(pid: int, cpus: set[int] | None) -> None:
    if cpus is not None:
        os.sched_setaffinity(pid, cpus)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    port: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time of a process (this one when `pid` is None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all processes on this machine have used, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def others(machine_before: float, ours: dict[str, float]) -> float:
    """CPU seconds used by processes other than ours since `machine_before`: noise."""
    return round(max(0.0, machine_busy_seconds() - machine_before - sum(ours.values())), 2)


def memory_mb(pid: int) -> dict[str, float | None]:
    """Peak (VmHWM) and current (VmRSS) resident memory, from /proc."""
    found: dict[str, float | None] = {"peak_rss_mb": None, "rss_mb": None}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return found
    for line in status.splitlines():
        name, _, value = line.partition(":")
        key = {"VmHWM": "peak_rss_mb", "VmRSS": "rss_mb"}.get(name)
        if key:
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


def app_environment(urls: dict[str, str], database: Path) -> dict[str, str]:
    """The app's settings, as an operator would set them; nothing leaks in from this shell."""
    ours = ("SLACK_", "BANGWO8_", "USER_CUSTOMER_", "DATABASE_URL", "APPROVAL", "HTTP_TIMEOUT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.pop("VIEWERS", None)
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": urls["slack_api"],
            "BANGWO8_BASE_URL": urls["bangwo8"],
            "BANGWO8_ACCOUNT": "agent@example.com",
            "BANGWO8_PASSWORD": "secret",
            "USER_CUSTOMER_BASE_URL": urls["user_customer"],
            "USER_CUSTOMER_TOKEN": "uc-static-token",
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "APPROVAL_CHANNEL": "C0APPROVALS",
            "EDITORS": "U0AGENT,U0EDITOR",
            "APPROVERS": "U0APPROVER,U0APPROVER2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


async def start_backends(log: TextIO) -> tuple[Child, dict[str, str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--role",
        "backends",
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if not line:
        raise RuntimeError("the emulated backends did not start; see the log")
    return Child("backends", process), json.loads(line)


async def start_app(
    urls: dict[str, str], workdir: Path, log: TextIO, cpus: set[int] | None
) -> Child:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=app_environment(urls, workdir / "approvals.sqlite3"),
        cwd=workdir,  # so no operator's .env is read
        stdout=log,
        stderr=log,
    )
    pin(process.pid, cpus)  # before it starts any thread
    child = Child("app", process, port)
    await wait_ready(child)
    return child


async def start_bare(urls: dict[str, str], log: TextIO, cpus: set[int] | None) -> Child:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--role",
        "bare",
        "--port",
        str(port),
        "--slack-api",
        urls["slack_api"],
        stdout=log,
        stderr=log,
    )
    pin(process.pid, cpus)
    child = Child("bare", process, port)
    await wait_ready(child)
    return child


async def wait_ready(child: Child, timeout: float = 30.0) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if child.process.returncode is not None:
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}; see the log")
        sample = await post(child.port, request, Sample("ready", time.perf_counter()))
        if sample.status == 200:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{child.name} did not answer /healthz within {timeout} s")


# ---- measuring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def latency_summary(seconds: Sequence[float]) -> Json:
    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p95_ms": ms(percentile(seconds, 95)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def failed_sources(body: bytes) -> int | None:
    """How many sources an answer reports as failed (a Retry button each); None if unreadable."""
    from bot.blocks.bindings import LOOKUP_ACTION

    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or not message.get("blocks"):
        return None
    count = 0
    for block in message["blocks"]:
        for element in block.get("elements") or [block.get("accessory") or {}]:
            if element.get("action_id") != LOOKUP_ACTION:
                continue
            if str(element.get("text", {}).get("text", "")).startswith("Retry"):
                count += 1
    return count


def slack_would_refuse(body: bytes) -> bool:
    """Whether Slack would refuse this response_url post (the sandbox's Block Kit rules)."""
    from bot.sandbox.blockkit import check_message

    try:
        message = json.loads(body)
    except ValueError:
        return True
    if not isinstance(message, dict) or not message.get("replace_original"):
        return True  # the answer must replace the "Looking up…" ack
    return bool(check_message(message.get("text"), message.get("blocks")))


@dataclass
class Bench:
    plan: Plan
    commands: Commands
    answers: ResponseUrls
    backends: Child
    control_url: str
    targets: dict[str, Child]
    cells: list[Json] = field(default_factory=list)

    async def set_backend(self, latency: float, slow_source: str | None = None) -> None:
        import httpx

        wanted = {"latency": latency, "slow_source": slow_source, "slow_latency": 1.0}
        async with httpx.AsyncClient() as client:
            (await client.post(f"{self.control_url}/latency", json=wanted)).raise_for_status()

    async def burst(self, target: Child, concurrency: int, tag: str) -> list[Sample]:
        built = [self.commands.build(target.port, tag) for _ in range(concurrency)]
        return await asyncio.gather(
            *(
                post(target.port, request, Sample(cid, time.perf_counter()))
                for cid, request in built
            )
        )

    async def cell(self, target: Child, latency: float, concurrency: int) -> Json:
        rounds = self.plan.rounds[(latency, concurrency)]
        tag = f"{target.name}-{int(latency * 1000)}ms-c{concurrency}"
        answering = target.name == "app"
        samples: list[Sample] = []
        cpu = {name: cpu_seconds(child.pid) for name, child in self._all().items()}
        driver_cpu, machine, started = cpu_seconds(), machine_busy_seconds(), time.perf_counter()
        for _ in range(rounds):
            gc.collect()  # the driver collects between bursts, never during one
            batch = await self.burst(target, concurrency, tag)
            samples += batch
            if concurrency == 1:
                continue  # one command after the other; their answers come when they come
            if answering:  # each burst starts from quiet
                await self.answers.wait_for([s.id for s in batch], latency + 30)
            else:
                await asyncio.sleep(0.05)
        if answering:
            await self.answers.wait_for([s.id for s in samples], latency + 30)
        elapsed = time.perf_counter() - started
        result = self._summarize(target, latency, concurrency, samples, answering)
        result["cpu_s"] = {
            name: round(cpu_seconds(child.pid) - cpu[name], 2)
            for name, child in self._all().items()
        }
        result["cpu_s"]["driver"] = round(cpu_seconds() - driver_cpu, 2)
        result["cpu_s"]["others"] = others(machine, result["cpu_s"])
        result["wall_s"] = round(elapsed, 2)
        result["memory"] = memory_mb(target.pid)
        self.cells.append(result)
        return result

    def _all(self) -> dict[str, Child]:
        return {**self.targets, "backends": self.backends}

    def _summarize(
        self,
        target: Child,
        latency: float,
        concurrency: int,
        samples: list[Sample],
        answering: bool,
    ) -> Json:
        acks = [s.ack_seconds for s in samples if s.status == 200 and s.ack_seconds is not None]
        result: Json = {
            "target": target.name,
            "backend_ms": int(latency * 1000),
            "concurrency": concurrency,
            "sent": len(samples),
            "acked": len(acks),
            "errors": sorted({s.error or f"HTTP {s.status}" for s in samples if s.status != 200}),
            "late_acks": sum(1 for a in acks if a > ACK_DEADLINE),
            "ack": latency_summary(acks),
        }
        if answering:
            result["answers"] = self._answers(samples)
        return result

    def _answers(self, samples: list[Sample]) -> Json:
        got = [(s, self.answers.answers[s.id]) for s in samples if s.id in self.answers.answers]
        failures = [failed_sources(a.body) for _, a in got]
        return {
            "answered": len(got),
            "complete": sum(1 for f in failures if f == 0),
            "with_failed_sources": sum(1 for f in failures if f),
            "invalid": sum(1 for _, a in got if slack_would_refuse(a.body)),
            "extra_posts": sum(a.posts - 1 for _, a in got),
            "latency": latency_summary([a.at - s.sent for s, a in got]),
        }

    async def throughput(self, target: Child) -> Json:
        """`workers` commands always in flight; acks (and answers) counted once steady.

        The first `throughput_warmup` seconds are not counted: a closed loop needs a moment
        to settle, and the app's answer work at first lags behind its acks.
        """
        workers, window = self.plan.throughput_workers, self.plan.throughput_seconds
        answering = target.name == "app"
        tag = f"{target.name}-throughput"
        samples: list[Sample] = []
        gc.collect()
        begin = time.perf_counter() + self.plan.throughput_warmup
        end = begin + window
        cpu: dict[str, float] = {}

        async def worker() -> None:
            while time.perf_counter() < end:
                command_id, request = self.commands.build(target.port, tag)
                sample = Sample(command_id, time.perf_counter())
                samples.append(await post(target.port, request, sample))

        async def snapshot() -> None:
            await asyncio.sleep(begin - time.perf_counter())
            cpu.update({name: cpu_seconds(child.pid) for name, child in self._all().items()})
            cpu["driver"] = cpu_seconds()
            cpu["machine"] = machine_busy_seconds()

        await asyncio.gather(snapshot(), *(worker() for _ in range(workers)))
        used = {name: cpu_seconds(child.pid) - cpu[name] for name, child in self._all().items()}
        used["driver"] = cpu_seconds() - cpu["driver"]
        used["others"] = others(cpu["machine"], used)
        cores = {name: round(seconds / window, 2) for name, seconds in used.items()}
        acked = [
            s
            for s in samples
            if s.status == 200 and s.acked is not None and begin <= s.acked <= end
        ]
        result: Json = {
            "target": target.name,
            "workers": workers,
            "warmup_s": self.plan.throughput_warmup,
            "window_s": window,
            "acked": len(acked),
            "acked_per_s": round(len(acked) / window, 1),
            "errors": sum(1 for s in samples if s.status != 200),
            "ack": latency_summary([s.ack_seconds for s in acked if s.ack_seconds is not None]),
            "cpu_cores": cores,
            "cpu_ms_per_ack": round(cores[target.name] * window * 1000 / max(1, len(acked)), 2),
        }
        if answering:
            answered = [
                a for a in self.answers.answers.values() if a.tag == tag and begin <= a.at <= end
            ]
            result["answered_per_s"] = round(len(answered) / window, 1)
            result["cpu_ms_per_answer"] = round(
                cores[target.name] * window * 1000 / max(1, len(answered)), 2
            )
            sent = [s for s in samples if s.status == 200]
            await self.answers.wait_for([s.id for s in sent], 60)
            last = max(
                (self.answers.answers[s.id].at for s in sent if s.id in self.answers.answers),
                default=end,
            )
            result["backlog_drained_after_s"] = round(max(0.0, last - end), 2)
        result["memory"] = memory_mb(target.pid)
        return result

    async def slowed_source(self, app: Child) -> Json:
        """Four-source lookups with one source answering in 1 s: the answer should take ~1 s."""
        await self.set_backend(FAST, slow_source=SLOW_SOURCE)
        times: list[float] = []
        failures: list[int | None] = []
        for _ in range(self.plan.slowed_lookups):
            [sample] = await self.burst(app, 1, "app-slowed")
            await self.answers.wait_for([sample.id], 15)
            answer = self.answers.answers.get(sample.id)
            if answer is not None:
                times.append(answer.at - sample.sent)
                failures.append(failed_sources(answer.body))
        await self.set_backend(FAST)
        return {
            "slow_source": SLOW_SOURCE,
            "slow_source_latency_ms": 1000,
            "other_sources_latency_ms": int(FAST * 1000),
            "lookups": self.plan.slowed_lookups,
            "answered": len(times),
            "complete": sum(1 for f in failures if f == 0),
            "answer": latency_summary(times),
        }


# ---- the run --------------------------------------------------------------------------------


async def run(plan: Plan, workdir: Path) -> Json:
    log_path = workdir / "processes.log"
    with log_path.open("w") as log:
        return await _run(plan, workdir, log)


async def _run(plan: Plan, workdir: Path, log: TextIO) -> Json:
    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    say(f"starting the backends, the app and the bare app (logs: {workdir})")
    layout = cpu_layout()
    load_cpus, server_cpus = layout if layout else (None, None)
    pin(os.getpid(), load_cpus)  # the emulated backends inherit it
    async with contextlib.AsyncExitStack() as children:
        backends, urls = await start_backends(log)
        children.push_async_callback(backends.stop)
        answers = ResponseUrls()
        response_base = await answers.start()
        children.push_async_callback(answers.stop)
        app = await start_app(urls, workdir, log, server_cpus)
        children.push_async_callback(app.stop)
        bare = await start_bare(urls, log, server_cpus)
        children.push_async_callback(bare.stop)
        bench = Bench(
            plan,
            Commands(response_base),
            answers,
            backends,
            urls["control"],
            {"app": app, "bare": bare},
        )
        # The driver's own collector must not pause it mid-burst: what is alive now is
        # frozen, and the cells collect between bursts.
        gc.collect()
        gc.freeze()
        gc.disable()
        children.callback(gc.enable)

        await bench.set_backend(FAST)
        # Warm both up (auth.test, first-use imports, connection pools), then start.
        for target in (app, bare):
            warmup = await bench.burst(target, 20, f"{target.name}-warmup")
        await answers.wait_for([s.id for s in warmup], 15)
        await asyncio.sleep(1)

        turn = itertools.cycle([(app, bare), (bare, app)])
        for latency in (FAST, SLOW):
            await bench.set_backend(latency)
            for concurrency in (1, 50, 200):
                say(f"  ack latency, backend {int(latency * 1000)} ms, {concurrency} concurrent")
                for target in next(turn):
                    await bench.cell(target, latency, concurrency)
        await bench.set_backend(FAST)
        say(f"  sustained throughput, {plan.throughput_workers} in flight")
        throughput = {target.name: await bench.throughput(target) for target in next(turn)}
        say("  four-source lookup with one source slowed to 1 s")
        slowed = await bench.slowed_source(app)
        memory = {"app": memory_mb(app.pid), "bare": memory_mb(bare.pid)}
    results = report(plan, bench.cells, throughput, slowed, memory)
    results["cpus"] = {
        "driver_and_emulators": sorted(load_cpus) if load_cpus else "any",
        "server_under_test": sorted(server_cpus) if server_cpus else "any",
    }
    return results


def report(
    plan: Plan, cells: list[Json], throughput: dict[str, Json], slowed: Json, memory: Json
) -> Json:
    import slack_bolt
    import uvicorn

    def cell(target: str, backend_ms: int, concurrency: int) -> Json:
        return next(
            c
            for c in cells
            if (c["target"], c["backend_ms"], c["concurrency"]) == (target, backend_ms, concurrency)
        )

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else round(a / b, 2)

    worst = cell("app", int(SLOW * 1000), 200)
    answers = worst["answers"]
    throughput_ratio = ratio(throughput["app"]["acked_per_s"], throughput["bare"]["acked_per_s"])
    targets: list[Json] = [
        {
            "target": "200 concurrent, 5 s backend: no ack later than 3 s",
            "value": f"max {worst['ack']['max_ms']} ms, {worst['late_acks']} late, {worst['sent'] - worst['acked']} not acked",
            "met": worst["late_acks"] == 0 and worst["acked"] == worst["sent"],
        },
        {
            "target": "200 concurrent, 5 s backend: every command answered",
            "value": f"{answers['answered']}/{worst['sent']} answered, {answers['invalid']} invalid, "
            f"{answers['complete']} with all four sources",
            "met": answers["answered"] == worst["sent"]
            and answers["invalid"] == 0
            and answers["extra_posts"] == 0,
        },
        {
            "target": "acked throughput >= 0.8 x bare",
            "value": f"{throughput['app']['acked_per_s']} vs {throughput['bare']['acked_per_s']} /s = {throughput_ratio}",
            "met": throughput_ratio is not None and throughput_ratio >= 0.8,
        },
    ]
    for backend_ms, concurrency in itertools.product(
        (int(FAST * 1000), int(SLOW * 1000)), (50, 200)
    ):
        app_p99 = cell("app", backend_ms, concurrency)["ack"]["p99_ms"]
        bare_p99 = cell("bare", backend_ms, concurrency)["ack"]["p99_ms"]
        r = ratio(app_p99, bare_p99)
        targets.append(
            {
                "target": f"ack p99 <= 1.5 x bare ({concurrency} concurrent, {backend_ms} ms backend)",
                "value": f"{app_p99} vs {bare_p99} ms = {r}",
                "met": r is not None and r <= 1.5,
            }
        )
    for backend_ms in (int(FAST * 1000), int(SLOW * 1000)):
        app_p50 = cell("app", backend_ms, 1)["ack"]["p50_ms"]
        bare_p50 = cell("bare", backend_ms, 1)["ack"]["p50_ms"]
        r = ratio(app_p50, bare_p50)
        targets.append(
            {
                "target": f"ack p50 <= 1.5 x bare (1 at a time, {backend_ms} ms backend)",
                "value": f"{app_p50} vs {bare_p50} ms = {r}",
                "met": r is not None and r <= 1.5,
            }
        )
    slowest = slowed["answer"]["max_ms"]
    targets.append(
        {
            "target": "lookup with one source slowed to 1 s answered within 1.5 s",
            "value": f"max {slowest} ms over {slowed['answered']}/{slowed['lookups']}",
            "met": slowest is not None
            and slowest <= 1500
            and slowed["answered"] == slowed["lookups"],
        }
    )
    peak = memory["app"]["peak_rss_mb"]
    targets.append(
        {
            "target": "app peak RSS < 150 MB",
            "value": f"{peak} MB",
            "met": peak is not None and peak < 150,
        }
    )
    measured = sum(c["wall_s"] for c in cells) + sum(t["window_s"] for t in throughput.values())
    foreign = sum(c["cpu_s"]["others"] for c in cells) + sum(
        t["cpu_cores"]["others"] * t["window_s"] for t in throughput.values()
    )
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "other_processes": {
            "cpu_s": round(foreign, 1),
            "measured_s": round(measured, 1),
            "share_of_one_core": round(foreign / measured, 3) if measured else None,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "slack_bolt": slack_bolt.version.__version__,
            "uvicorn": uvicorn.__version__,
        },
        "plan": {
            "rounds": {f"{int(k[0] * 1000)}ms/c{k[1]}": v for k, v in plan.rounds.items()},
            "throughput_workers": plan.throughput_workers,
            "throughput_warmup": plan.throughput_warmup,
            "throughput_seconds": plan.throughput_seconds,
            "slowed_lookups": plan.slowed_lookups,
        },
        "cells": cells,
        "throughput": throughput,
        "slowed_source": slowed,
        "memory": memory,
        "targets": targets,
    }


# ---- printing -------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(results: Json) -> str:
    lines = ["", "Ack latency (ms), from connect to the last byte of the ack"]
    header = [
        "backend",
        "conc",
        "who",
        "n",
        "p50",
        "p95",
        "p99",
        "max",
        "late",
        "answered",
        "answer p50",
        "answer max",
    ]
    rows: list[list[str]] = []
    for c in results["cells"]:
        a = c.get("answers")
        rows.append(
            [
                f"{c['backend_ms']} ms",
                str(c["concurrency"]),
                c["target"],
                f"{c['acked']}/{c['sent']}",
                _fmt(c["ack"]["p50_ms"]),
                _fmt(c["ack"]["p95_ms"]),
                _fmt(c["ack"]["p99_ms"]),
                _fmt(c["ack"]["max_ms"]),
                str(c["late_acks"]),
                f"{a['answered']} ({a['complete']} ok)" if a else "-",
                _fmt(a["latency"]["p50_ms"]) if a else "-",
                _fmt(a["latency"]["max_ms"]) if a else "-",
            ]
        )
    lines += _grid(header, sorted(rows, key=lambda r: (int(r[0].split()[0]), int(r[1]), r[2])))
    lines += ["", "Sustained throughput (backend 10 ms), counted after the warm-up"]
    header = [
        "who",
        "in flight",
        "acked/s",
        "ack p50",
        "ack p99",
        "answered/s",
        "CPU ms/command",
        "backlog drained",
        "CPU cores app/bare/backends/driver/others",
    ]
    rows = []
    for name, t in results["throughput"].items():
        cores = t["cpu_cores"]
        rows.append(
            [
                name,
                str(t["workers"]),
                _fmt(t["acked_per_s"]),
                _fmt(t["ack"]["p50_ms"]),
                _fmt(t["ack"]["p99_ms"]),
                _fmt(t.get("answered_per_s")),
                _fmt(t.get("cpu_ms_per_answer", t["cpu_ms_per_ack"])),
                f"{t['backlog_drained_after_s']} s after"
                if "backlog_drained_after_s" in t
                else "-",
                "/".join(
                    str(cores[name]) for name in ("app", "bare", "backends", "driver", "others")
                ),
            ]
        )
    lines += _grid(header, rows)
    s = results["slowed_source"]
    lines += [
        "",
        f"Lookup of 4 sources, {s['slow_source']} slowed to 1 s: answer p50 {_fmt(s['answer']['p50_ms'])} ms, "
        f"max {_fmt(s['answer']['max_ms'])} ms ({s['complete']}/{s['lookups']} complete)",
        f"Peak RSS: app {_fmt(results['memory']['app']['peak_rss_mb'])} MB, "
        f"bare {_fmt(results['memory']['bare']['peak_rss_mb'])} MB",
        _noise(results["other_processes"]),
        "",
        "Targets",
    ]
    lines += _grid(
        ["", "target", "measured"],
        [["MET " if t["met"] else "MISS", t["target"], t["value"]] for t in results["targets"]],
    )
    return "\n".join(lines)


def _noise(other: Json) -> str:
    share = other["share_of_one_core"] or 0.0
    line = (
        f"Other processes on this machine: {other['cpu_s']} CPU-s during "
        f"{other['measured_s']} s of measurement ({share:.0%} of one core)"
    )
    if share > 0.05:
        line += ": the machine was not quiet, expect noisier figures; run again when it is"
    return line


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a first look")
    parser.add_argument("--role", choices=["backends", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--slack-api", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "backends":
        asyncio.run(serve_backends())
        return 0
    if args.role == "bare":
        asyncio.run(serve_bare(args.port, args.slack_api))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="support-bot-bench-"))
    results = asyncio.run(run(QUICK if args.quick else FULL, workdir))
    print(table(results))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path}")
    return 0 if all(t["met"] for t in results["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
