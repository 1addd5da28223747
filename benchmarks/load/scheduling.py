"""What holding answers for acks (`AcksFirst`) buys and costs, measured side by side.

The same app twice, pinned to the same core and measured one after the other in
alternating order: as production runs it ("held"), and with answer work never waiting for
the acks of requests already in the door ("at once"). Bursts on a fast backend, where
answers compete with acks, and the closed loop. The scheduling stays only if it takes more
off ack p99 than it adds to answer p50.
"""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any, TextIO

from benchmarks.load.measure import FAST, warmed_bench
from benchmarks.load.procs import cpu_layout

Json = dict[str, Any]
BURSTS = {50: 4, 200: 2}  # commands at once -> bursts per round
NAMES = {"app": "held (as shipped)", "app-at-once": "at once"}


async def compare(workdir: Path, log: TextIO, *, rounds: int) -> Json:
    async with warmed_bench(list(NAMES), workdir, log, cpu_layout()) as bench:
        measured: list[Json] = []
        for number in range(rounds):
            order = list(bench.servers.values())[:: 1 if number % 2 else -1]
            print(f"  round {number + 1} of {rounds}", flush=True)
            row: Json = {}
            for concurrency, bursts in BURSTS.items():
                for cell in await bench.cells(order, FAST, concurrency, bursts, None):
                    row[f"{cell['target']}/burst {concurrency}"] = {
                        "ack_p99": cell["ack"]["p99_ms"],
                        "answer_p50": cell["answers"]["latency"]["p50_ms"],
                        "answer_p99": cell["answers"]["latency"]["p99_ms"],
                    }
            for target in order:
                loop = await bench.throughput(target, 50, 2.0, 6.0)
                row[f"{target.name}/closed loop, 50 in flight"] = {
                    "ack_p99": loop["ack"]["p99_ms"],
                    "answer_p50": loop["answer"]["p50_ms"],
                    "answer_p99": loop["answer"]["p99_ms"],
                }
            measured.append(row)
    return {"rounds": measured, "verdict": _verdict(measured)}


def _medians(rounds: list[Json], key: str) -> Json:
    return {
        figure: median(r[key][figure] for r in rounds)
        for figure in ("ack_p99", "answer_p50", "answer_p99")
    }


def _verdict(rounds: list[Json]) -> Json:
    situations = sorted({key.split("/", 1)[1] for key in rounds[0]})
    rows = []
    for situation in situations:
        held = _medians(rounds, f"app/{situation}")
        at_once = _medians(rounds, f"app-at-once/{situation}")
        rows.append(
            {
                "situation": situation,
                "held": held,
                "at_once": at_once,
                "ack_p99_gained_ms": round(at_once["ack_p99"] - held["ack_p99"], 1),
                "answer_p50_cost_ms": round(held["answer_p50"] - at_once["answer_p50"], 1),
                "answer_p99_cost_ms": round(held["answer_p99"] - at_once["answer_p99"], 1),
            }
        )
    gained = sum(r["ack_p99_gained_ms"] for r in rows)
    cost = sum(r["answer_p50_cost_ms"] for r in rows)
    return {"rows": rows, "gained_ms": gained, "cost_ms": cost, "holds": gained > cost}


def table(compared: Json) -> str:
    verdict = compared["verdict"]
    lines = [
        f"Answers held for acks vs at once, medians over {len(compared['rounds'])} rounds (ms)",
        f"{'situation':30} {'ack p99 held/at once':>22} {'answer p50 held/at once':>24} "
        f"{'answer p99 held/at once':>24} {'ack p99 gained':>15} {'answer p50 cost':>16}",
    ]
    for row in verdict["rows"]:
        held, at_once = row["held"], row["at_once"]
        lines.append(
            f"{row['situation']:30} "
            f"{held['ack_p99']:>10.1f} / {at_once['ack_p99']:<9.1f} "
            f"{held['answer_p50']:>11.1f} / {at_once['answer_p50']:<10.1f} "
            f"{held['answer_p99']:>11.1f} / {at_once['answer_p99']:<10.1f} "
            f"{row['ack_p99_gained_ms']:>15.1f} {row['answer_p50_cost_ms']:>16.1f}"
        )
    says = "keep it" if verdict["holds"] else "remove it"
    lines.append(
        f"\nack p99 gained {verdict['gained_ms']:.1f} ms in all, answer p50 cost "
        f"{verdict['cost_ms']:.1f} ms: {says}"
    )
    return "\n".join(lines)
