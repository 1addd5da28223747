"""The load: signed `/binding` commands in bursts and in a closed loop, and what came back."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from benchmarks.load.procs import (
    Child,
    cpu_seconds,
    machine_busy_seconds,
    memory_mb,
    pin,
    start_backends,
    start_server,
)
from benchmarks.load.servers import CONTACTS, FIRST_CONTACT, SIGNING_SECRET, TEAM
from benchmarks.load.wire import Outgoing, PostSink, Sample, exchange

Json = dict[str, Any]
CONTACT = "30851821"  # seeded with bindings in two of the four sources
ACK_DEADLINE = 3.0


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_summary(seconds: Sequence[float]) -> Json:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def command(port: int, command_id: str, response_base: str, contact: str) -> Outgoing:
    """A `/binding <contact>` slash command, signed as Slack signs it."""
    from bot.sandbox.slack import signature

    fields = {
        "token": "sandbox-verification-token",
        "team_id": TEAM,
        "team_domain": "sandbox",
        "channel_id": "C0SUPPORT",
        "channel_name": "support",
        "user_id": "U0AGENT",
        "user_name": "agent",
        "command": "/binding",
        "text": contact,
        "api_app_id": "A0SANDBOX",
        "is_enterprise_install": "false",
        "response_url": f"{response_base}/response/{command_id}",
        "trigger_id": f"{command_id}.{TEAM}.{secrets.token_hex(8)}",
    }
    body = urlencode(fields).encode()
    stamp = int(time.time())
    headers = [
        ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Slack-Request-Timestamp", str(stamp)),
        ("X-Slack-Signature", signature(SIGNING_SECRET, body, stamp)),
    ]
    return Outgoing("POST", "/slack/events", headers, body)


# The emulated bangwo8's answer times, seconds: a fast backend and a slow one.
FAST, SLOW = 0.01, 5.0


@dataclass
class Answer:
    at: float
    body: bytes
    posts: int = 1


@dataclass
class Answers:
    """The response_url endpoint: when each command's answer arrived, and what it said."""

    by_id: dict[str, Answer] = field(default_factory=dict)
    _waiting: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    def record(self, path: str, body: bytes) -> None:
        command_id = path.rsplit("/", 1)[-1]
        if _is_placeholder(body):
            return  # "Looking up…", posted when an answer is slow: not the answer
        if command_id in self.by_id:
            self.by_id[command_id].posts += 1
            return
        self.by_id[command_id] = Answer(time.perf_counter(), body)
        waiter = self._waiting.pop(command_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def expect(self, command_id: str) -> asyncio.Future[None]:
        """A future done when this command's answer arrives."""
        waiter = self._waiting[command_id] = asyncio.get_running_loop().create_future()
        return waiter

    async def wait_for(self, ids: Iterable[str], timeout: float) -> None:
        wanted = list(ids)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if all(command_id in self.by_id for command_id in wanted):
                return
            await asyncio.sleep(0.02)


def _is_placeholder(body: bytes) -> bool:
    try:
        message = json.loads(body)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("text") == "Looking up…"


def failed_sources(body: bytes) -> int | None:
    """How many sources an answer reports as failed (a Retry button each); None if unreadable."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict) or not message.get("blocks"):
        return None
    buttons = [b.get("accessory") or {} for b in message["blocks"]]
    return sum(1 for b in buttons if str(b.get("text", {}).get("text", "")).startswith("Retry"))


def slack_would_refuse(body: bytes) -> bool:
    """Whether Slack would refuse this response_url post (the sandbox's Block Kit rules)."""
    from bot.sandbox.blockkit import check_message

    try:
        message = json.loads(body)
    except ValueError:
        return True
    if not isinstance(message, dict):
        return True
    return bool(check_message(message.get("text"), message.get("blocks")))


@dataclass
class Bench:
    backends: Child
    control_port: int
    servers: dict[str, Child]
    answers: Answers = field(default_factory=Answers)
    sink: PostSink | None = None
    response_base: str = ""
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> None:
        self.sink = PostSink(self.answers.record)
        self.response_base = await self.sink.start()

    async def control(self, method: str, path: str, payload: Json | None = None) -> Json:
        """A call to the emulators' control endpoint (latency, request counts)."""
        body = json.dumps(payload or {}).encode()
        request = Outgoing(method, path, [("Content-Type", "application/json")], body)
        answer = bytearray()
        sample = await exchange(self.control_port, request, Sample(path, 0.0), answer)
        if sample.status != 200:
            raise RuntimeError(f"control {path}: {sample.error or sample.status}")
        reply: Json = json.loads(answer)
        return reply

    async def set_backend(self, latency: float, slow_source: str | None = None) -> None:
        wanted = {"latency": latency, "slow_source": slow_source, "slow_latency": 1.0}
        await self.control("POST", "/latency", wanted)

    async def backend_gets(self) -> int:
        return int((await self.control("GET", "/requests"))["gets"])

    def _command(self, target: Child, tag: str, contact: str | None) -> tuple[str, Outgoing]:
        """A command for `contact`, or else for the next of the seeded contacts in turn."""
        serial = next(self._serial)
        command_id = f"{tag}-{serial}"
        contact = contact or str(FIRST_CONTACT + serial % CONTACTS)
        return command_id, command(target.port, command_id, self.response_base, contact)

    async def burst(
        self, target: Child, concurrency: int, tag: str, contact: str | None = None
    ) -> list[Sample]:
        built = [self._command(target, tag, contact) for _ in range(concurrency)]
        sent = [exchange(target.port, out, Sample(cid, time.perf_counter())) for cid, out in built]
        return list(await asyncio.gather(*sent))

    def cpu(self) -> dict[str, float]:
        used = {name: cpu_seconds(child.pid) for name, child in self.servers.items()}
        used["backends"] = cpu_seconds(self.backends.pid)
        used["driver"] = cpu_seconds()
        used["machine"] = machine_busy_seconds()
        return used

    @staticmethod
    def cpu_since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        used = {name: after[name] - before[name] for name in before}
        machine = used.pop("machine")
        used["others"] = max(0.0, machine - sum(used.values()))
        return {name: round(value, 3) for name, value in used.items()}

    async def cells(
        self,
        targets: Sequence[Child],
        latency: float,
        concurrency: int,
        rounds: int,
        contact: str | None,
    ) -> list[Json]:
        """`rounds` bursts of `concurrency` commands to each target, the targets taking turns
        burst by burst so that all of them meet the machine in the same moods (measured one
        cell after the other, the bare app's own p99 swung 50-140 ms between cells). Each
        burst starts from quiet: an answering target's answers are awaited before the next.

        All for `contact` when one is given (identical reads in flight), else each for another.
        """
        samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
        gets_per_burst: dict[str, list[int]] = {t.name: [] for t in targets}
        gets: dict[str, int] = dict.fromkeys(samples, 0)
        before, started = self.cpu(), time.perf_counter()
        for _ in range(rounds):
            for target in targets:
                answering = target.name != "bare"
                tag = f"{target.name}-{int(latency * 1000)}ms-c{concurrency}"
                gc.collect()  # the driver collects between bursts, never during one
                burst_gets = await self.backend_gets()
                batch = await self.burst(target, concurrency, tag, contact)
                samples[target.name] += batch
                if concurrency > 1 and answering:
                    await self.answers.wait_for([s.id for s in batch], latency + 30)
                    gets_per_burst[target.name].append(await self.backend_gets() - burst_gets)
                elif concurrency > 1:
                    await asyncio.sleep(0.05)
                gets[target.name] += await self.backend_gets() - burst_gets
        for target in targets:  # one after another, answers are awaited once, at the end
            if target.name != "bare":
                ids = [s.id for s in samples[target.name]]
                await self.answers.wait_for(ids, latency + 30)
        wall = time.perf_counter() - started
        used = self.cpu_since(before, self.cpu())
        senders = [t.name for t in targets if t.name != "bare"]
        if len(senders) == 1:  # the bare app sends none: every GET of the cell is the app's
            gets[senders[0]] = sum(gets.values())
        results = []
        for target in targets:
            taken = samples[target.name]
            acks = [s.ack_seconds for s in taken if s.status == 200 and s.ack_seconds is not None]
            result: Json = {
                "target": target.name,
                "backend_ms": int(latency * 1000),
                "concurrency": concurrency,
                "sent": len(taken),
                "acked": len(acks),
                "errors": sorted({s.error or f"HTTP {s.status}" for s in taken if s.status != 200}),
                "late_acks": sum(1 for a in acks if a > ACK_DEADLINE),
                "ack": latency_summary(acks),
                # The cell's wall time and foreign CPU, shared out among its targets.
                "wall_s": round(wall / len(targets), 2),
                "cpu_s": {
                    target.name: used.get(target.name, 0.0),
                    "others": round(used["others"] / len(targets), 3),
                },
                "backend_gets": gets[target.name],
                "backend_gets_per_burst": gets_per_burst[target.name],
            }
            if target.name != "bare":
                result["answers"] = self._answers(taken)
            results.append(result)
        return results

    def _answers(self, samples: list[Sample]) -> Json:
        got = [(s, self.answers.by_id[s.id]) for s in samples if s.id in self.answers.by_id]
        failures = [failed_sources(a.body) for _, a in got]
        return {
            "answered": len(got),
            "complete": sum(1 for f in failures if f == 0),
            "with_failed_sources": sum(1 for f in failures if f),
            "invalid": sum(1 for _, a in got if slack_would_refuse(a.body)),
            "extra_posts": sum(a.posts - 1 for _, a in got),
            "latency": latency_summary([a.at - s.sent for s, a in got]),
        }

    async def throughput(self, target: Child, workers: int, warmup: float, window: float) -> Json:
        """`workers` commands always in flight; what is acked and answered once steady.

        A command is in flight until it is answered (for the bare app: acked), as when people
        wait for their answer before asking again; the next one follows at once.
        """
        answering = target.name != "bare"
        tag = f"{target.name}-loop-{next(self._serial)}"
        samples: list[Sample] = []
        gc.collect()
        begin = time.perf_counter() + warmup
        end = begin + window
        before: dict[str, float] = {}

        async def worker() -> None:
            while time.perf_counter() < end:
                command_id, request = self._command(target, tag, None)
                answered = self.answers.expect(command_id) if answering else None
                sample = Sample(command_id, time.perf_counter())
                samples.append(await exchange(target.port, request, sample))
                if answered is not None and sample.status == 200:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(answered, 30)

        async def snapshot() -> None:
            await asyncio.sleep(begin - time.perf_counter())
            before.update(self.cpu())

        await asyncio.gather(snapshot(), *(worker() for _ in range(workers)))
        used = self.cpu_since(before, self.cpu())
        in_window = [s for s in samples if s.acked is not None and begin <= s.acked <= end]
        acked = [s for s in in_window if s.status == 200]
        result: Json = {
            "target": target.name,
            "window_s": window,
            "acked_per_s": round(len(acked) / window, 1),
            "errors": sum(1 for s in samples if s.status != 200),
            "ack": latency_summary([s.ack_seconds for s in acked if s.ack_seconds is not None]),
            "cpu_cores": {name: round(value / window, 3) for name, value in used.items()},
            "cpu_ms_per_ack": round(used[target.name] * 1000 / max(1, len(acked)), 3),
        }
        if answering:
            sent = [s for s in samples if s.status == 200]
            await self.answers.wait_for([s.id for s in sent], 60)
            got = [(s, self.answers.by_id[s.id]) for s in sent if s.id in self.answers.by_id]
            answered = [(s, a) for s, a in got if begin <= a.at <= end]
            result["answered_per_s"] = round(len(answered) / window, 1)
            result["cpu_ms_per_answer"] = round(used[target.name] * 1000 / max(1, len(answered)), 3)
            result["answer"] = latency_summary([a.at - s.sent for s, a in answered])
            result["incomplete"] = sum(1 for _, a in answered if failed_sources(a.body) != 0)
        result["memory"] = memory_mb(target.pid)
        return result


@contextlib.asynccontextmanager
async def warmed_bench(
    names: Sequence[str],
    workdir: Path,
    log: TextIO,
    layout: tuple[set[int], set[int]] | None,
) -> AsyncIterator[Bench]:
    """The emulated backends and the named servers started (each server pinned to the
    servers' CPUs), warmed up, and stopped again at the end; the backend at FAST."""
    load_cpus, server_cpus = layout if layout else (None, None)
    pin(os.getpid(), load_cpus)  # the emulated backends inherit it
    async with contextlib.AsyncExitStack() as children:
        backends, urls = await start_backends(log)
        children.push_async_callback(backends.stop)
        servers = {}
        for name in names:
            servers[name] = await start_server(name, urls, workdir, log, server_cpus)
            children.push_async_callback(servers[name].stop)
        bench = Bench(backends, int(urls["control"].rsplit(":", 1)[1]), servers)
        await bench.start()
        # The driver's own collector must not pause it mid-burst: what is alive now is
        # frozen, and the cells collect between bursts.
        gc.collect()
        gc.freeze()
        gc.disable()
        children.callback(gc.enable)
        await bench.set_backend(FAST)
        for server in servers.values():  # first-use imports, auth.test, connection pools
            warmup = await bench.burst(server, 20, f"{server.name}-warmup")
            await bench.answers.wait_for([s.id for s in warmup if server.name != "bare"], 15)
        yield bench
