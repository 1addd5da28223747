"""Processes: starting the emulators and the apps, pinning them, reading their CPU and memory."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from benchmarks.load.servers import BOT_TOKEN, SIGNING_SECRET
from benchmarks.load.wire import Outgoing, Sample, exchange

REPO = Path(__file__).resolve().parents[2]


def cpu_layout() -> tuple[set[int], set[int]] | None:
    """(CPUs for the driver and the emulators, the CPU for the server under test), or None.

    Each server gets a core to itself, as in production, and never shares it with the load
    it is measured under; they are measured one at a time. On one core nothing is pinned.
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
    ours = ("SLACK_", "BANGWO8_", "USER_CUSTOMER_", "DATABASE_URL", "APPROVAL", "HTTP_")
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


def _role(role: str, port: int = 0, urls: dict[str, str] | None = None) -> list[str]:
    args = [sys.executable, "-m", "benchmarks.load", "--role", role, "--port", str(port)]
    return [*args, "--urls", json.dumps(urls or {})]


async def start_backends(log: TextIO) -> tuple[Child, dict[str, str]]:
    process = await asyncio.create_subprocess_exec(
        *_role("backends"), stdout=asyncio.subprocess.PIPE, stderr=log, cwd=REPO
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if not line:
        raise RuntimeError("the emulated backends did not start; see the log")
    return Child("backends", process), json.loads(line)


async def start_server(
    name: str, urls: dict[str, str], workdir: Path, log: TextIO, cpus: set[int] | None
) -> Child:
    """`app` exactly as production starts it (JSON logs at INFO); `bare` and `lean` beside it."""
    port = free_port()
    if name == "app":
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port)]
        env, cwd = app_environment(urls, workdir / "approvals.sqlite3"), workdir
    elif name == "app-at-once":  # the app with its answers never held for acks
        command, cwd = _role(name, port), REPO
        env = app_environment(urls, workdir / "approvals-at-once.sqlite3")
    else:
        command, env, cwd = _role(name, port, urls), None, REPO
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=log, stderr=log
    )
    pin(process.pid, cpus)  # before it starts any thread
    child = Child(name, process, port)
    await wait_ready(child)
    return child


async def wait_ready(child: Child, timeout: float = 30.0) -> None:
    request = Outgoing("GET", "/healthz", [])
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if child.process.returncode is not None:
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}; see the log")
        sample = await exchange(child.port, request, Sample("ready", time.perf_counter()))
        if sample.status == 200:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{child.name} did not answer /healthz within {timeout} s")
