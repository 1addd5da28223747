"""The run: start everything, measure in rounds, print the tables and the targets."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from benchmarks.load import report
from benchmarks.load.measure import CONTACT, FAST, SLOW, Bench, warmed_bench
from benchmarks.load.procs import (
    cpu_layout,
    memory_mb,
)

RESULTS = Path(__file__).resolve().parents[1] / "results"
Json = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    rounds: int
    # (backend latency, commands at once) -> bursts per round; 1 at once is one after another.
    bursts: dict[tuple[float, int], int]
    workers: int
    warmup: float
    window: float


FULL = Plan(
    rounds=3,
    bursts={
        (FAST, 1): 60,
        (FAST, 50): 4,
        (FAST, 200): 2,
        (SLOW, 1): 10,
        # One burst of 200 gave a p99 that swung 150-500 ms for the bare app alone: three
        # pool 600 acks per round.
        (SLOW, 50): 4,
        (SLOW, 200): 3,
    },
    workers=50,
    warmup=2.0,
    window=6.0,
)
QUICK = Plan(
    rounds=3,
    bursts={
        (FAST, 1): 15,
        (FAST, 50): 1,
        (FAST, 200): 1,
        (SLOW, 1): 3,
        (SLOW, 50): 1,
        (SLOW, 200): 1,
    },
    workers=50,
    warmup=1.0,
    window=2.5,
)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run(plan: Plan, workdir: Path, log: TextIO) -> Json:
    say(f"starting the backends, the app, the lean app and the bare app (logs: {workdir})")
    layout = cpu_layout()
    load_cpus, server_cpus = layout if layout else (None, None)
    async with warmed_bench(("app", "lean", "bare"), workdir, log, layout) as bench:
        rounds = [await one_round(bench, plan, n) for n in range(plan.rounds)]
        memory = {name: memory_mb(child.pid) for name, child in bench.servers.items()}
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plan": {
            **asdict(plan),
            "bursts": {f"{int(k[0] * 1000)}ms/c{k[1]}": v for k, v in plan.bursts.items()},
        },
        "cpus": {
            "driver_and_emulators": sorted(load_cpus) if load_cpus else "any",
            "servers_under_test": sorted(server_cpus) if server_cpus else "any",
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rounds": rounds,
        "memory": memory,
        "other_processes": report.noise(rounds),
        "targets": report.targets(rounds, memory),
    }


async def one_round(bench: Bench, plan: Plan, number: int) -> Json:
    app, lean, bare = (bench.servers[name] for name in ("app", "lean", "bare"))
    cells: list[Json] = []
    for latency in (FAST, SLOW):
        await bench.set_backend(latency)
        for concurrency in (1, 50, 200):
            say(f"  round {number + 1}: bursts of {concurrency}, backend {int(latency * 1000)} ms")
            order = (app, bare) if (number + concurrency) % 2 else (bare, app)
            bursts = plan.bursts[(latency, concurrency)]
            # A slow backend: every lookup of one contact, as a burst of the same question.
            contact = CONTACT if latency == SLOW else None
            cells += await bench.cells(order, latency, concurrency, bursts, contact)
    await bench.set_backend(FAST)
    say(f"  round {number + 1}: closed loop, {plan.workers} in flight")
    turns = [app, lean, bare][number % 3 :] + [app, lean, bare][: number % 3]
    loops = {
        t.name: await bench.throughput(t, plan.workers, plan.warmup, plan.window) for t in turns
    }
    return {"cells": cells, "throughput": loops}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="support-bot under load, beside a lean and a bare app"
    )
    parser.add_argument("--quick", action="store_true", help="three short rounds, for a first look")
    parser.add_argument(
        "--scheduling",
        action="store_true",
        help="the app with and without answers held for acks (AcksFirst), side by side",
    )
    parser.add_argument(
        "--role", choices=["backends", "bare", "lean", "app-at-once"], help=argparse.SUPPRESS
    )
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--urls", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role:
        from benchmarks.load.servers import run_role

        run_role(args.role, args.port, json.loads(args.urls))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="support-bot-bench-"))
    if args.scheduling:
        from benchmarks.load import scheduling

        with (workdir / "processes.log").open("w") as log:
            compared = asyncio.run(scheduling.compare(workdir, log, rounds=3))
        print(scheduling.table(compared))
        return 0 if compared["verdict"]["holds"] else 1
    with (workdir / "processes.log").open("w") as log:
        results = asyncio.run(run(QUICK if args.quick else FULL, workdir, log))
    print(report.table(results))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path}")
    return 0 if all(t["met"] for t in results["targets"]) else 1
