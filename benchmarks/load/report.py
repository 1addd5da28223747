"""Targets, ratios with their spread over rounds, and the printed tables."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

Json = dict[str, Any]
CPU_RATIO, THROUGHPUT_RATIO, ANSWER_RATIO, ACK_RATIO, RSS_MB = 1.5, 0.67, 1.5, 1.5, 100.0


def spread(values: Sequence[float | None]) -> Json:
    """Median and range over rounds (None where a round had no figure)."""
    known = [v for v in values if v is not None]
    if not known:
        return {"median": None, "min": None, "max": None, "rounds": []}
    return {
        "median": round(statistics.median(known), 2),
        "min": round(min(known), 2),
        "max": round(max(known), 2),
        "rounds": [None if v is None else round(v, 2) for v in values],
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _shown(s: Json) -> str:
    if s["median"] is None:
        return "-"
    return f"{s['median']:.2f}× ({s['min']:.2f}–{s['max']:.2f})"


def targets(rounds: list[Json], memory: Json) -> list[Json]:
    found: list[Json] = []

    def loop_ratio(
        target: str, key: Callable[[Json], float | None], limit: float, at_most: bool
    ) -> tuple[Json, bool]:
        per_round = [
            ratio(key(r["throughput"]["app"]), key(r["throughput"][target])) for r in rounds
        ]
        s = spread(per_round)
        met = s["median"] is not None and (
            s["median"] <= limit if at_most else s["median"] >= limit
        )
        return s, met

    lean_checks = [
        ("CPU per answered four-source lookup", lambda t: t["cpu_ms_per_answer"], CPU_RATIO, True),
        ("answered/s", lambda t: t["answered_per_s"], THROUGHPUT_RATIO, False),
        ("answer p50, 50 in flight", lambda t: t["answer"]["p50_ms"], ANSWER_RATIO, True),
        ("answer p99, 50 in flight", lambda t: t["answer"]["p99_ms"], ANSWER_RATIO, True),
    ]
    for name, key, limit, at_most in lean_checks:
        s, met = loop_ratio("lean", key, limit, at_most)
        sign = "<=" if at_most else ">="
        found.append(
            {"target": f"{name} {sign} {limit} x lean", "value": _shown(s), "met": met, "spread": s}
        )
    bursts = sorted({(c["backend_ms"], c["concurrency"]) for c in rounds[0]["cells"]})
    for backend_ms, concurrency in bursts:
        per_round = []
        for r in rounds:
            app, bare = (_cell(r, who, backend_ms, concurrency) for who in ("app", "bare"))
            per_round.append(ratio(app["ack"]["p99_ms"], bare["ack"]["p99_ms"]))
        s = spread(per_round)
        found.append(
            {
                "target": f"ack p99 <= {ACK_RATIO} x bare ({concurrency} at once, {backend_ms} ms backend)",
                "value": _shown(s),
                "met": s["median"] is not None and s["median"] <= ACK_RATIO,
                "spread": s,
            }
        )
    worst = [_cell(r, "app", max(b for b, _ in bursts), max(c for _, c in bursts)) for r in rounds]
    late = sum(c["late_acks"] + c["sent"] - c["acked"] for c in worst)
    found.append(
        {
            "target": "200 at once, 5 s backend: every command acked within 3 s",
            "value": f"max {max(c['ack']['max_ms'] or 0 for c in worst)} ms, {late} late or lost",
            "met": late == 0,
        }
    )
    answers = [c["answers"] for c in worst]
    complete = sum(a["complete"] for a in answers)
    sent = sum(c["sent"] for c in worst)
    bad = sum(a["invalid"] + a["extra_posts"] for a in answers)
    per_burst = [gets for c in worst for gets in c["backend_gets_per_burst"]]
    found.append(
        {
            "target": "200 lookups of one contact, 5 s backend: 4 GETs, all answered complete",
            "value": f"GETs per burst {per_burst}, {complete}/{sent} complete, "
            f"{bad} invalid or extra, answer max {max(a['latency']['max_ms'] or 0 for a in answers)} ms",
            "met": complete == sent and bad == 0 and bool(per_burst) and set(per_burst) == {4},
        }
    )
    peak = memory["app"]["peak_rss_mb"]
    found.append(
        {
            "target": f"app peak RSS < {RSS_MB:g} MB",
            "value": f"{peak} MB",
            "met": peak is not None and peak < RSS_MB,
        }
    )
    return found


def _cell(round_: Json, who: str, backend_ms: int, concurrency: int) -> Json:
    return next(
        c
        for c in round_["cells"]
        if (c["target"], c["backend_ms"], c["concurrency"]) == (who, backend_ms, concurrency)
    )


def noise(rounds: list[Json]) -> Json:
    """CPU other processes on this machine used while we measured: what makes figures noisy."""
    measured = foreign = 0.0
    for r in rounds:
        for c in r["cells"]:
            measured += c["wall_s"]
            foreign += c["cpu_s"]["others"]
        for t in r["throughput"].values():
            measured += t["window_s"]
            foreign += t["cpu_cores"]["others"] * t["window_s"]
    share = foreign / measured if measured else 0.0
    return {
        "cpu_s": round(foreign, 1),
        "measured_s": round(measured, 1),
        "share_of_one_core": round(share, 3),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 2) if known else None


def table(results: Json) -> str:
    rounds: list[Json] = results["rounds"]
    names = list(rounds[0]["throughput"])
    lines = ["", f"Closed loop, 50 in flight, backend 10 ms: medians over {len(rounds)} rounds"]
    header = [
        "who",
        "answered/s",
        "CPU ms/answer",
        "answer p50",
        "answer p99",
        "acked/s",
        "ack p99",
        "peak RSS MB",
    ]
    rows = []
    for name in ("app", "lean", "bare"):
        if name not in names:
            continue
        loops = [r["throughput"][name] for r in rounds]
        rows.append(
            [
                {"app": "support-bot", "lean": "lean reference", "bare": "bare (ack only)"}[name],
                _fmt(_median([t.get("answered_per_s") for t in loops])),
                _fmt(_median([t.get("cpu_ms_per_answer") for t in loops])),
                _fmt(_median([t["answer"]["p50_ms"] if "answer" in t else None for t in loops])),
                _fmt(_median([t["answer"]["p99_ms"] if "answer" in t else None for t in loops])),
                _fmt(_median([t["acked_per_s"] for t in loops])),
                _fmt(_median([t["ack"]["p99_ms"] for t in loops])),
                _fmt(results["memory"][name]["peak_rss_mb"]),
            ]
        )
    lines += _grid(header, rows)
    lines += [
        "",
        "Bursts: ack latency (ms) from connect to the last byte of the ack, medians over rounds",
    ]
    header = [
        "backend",
        "at once",
        "app p50",
        "app p99",
        "app max",
        "bare p99",
        "answered",
        "answer p50",
        "answer max",
        "GETs",
    ]
    rows = []
    for c in rounds[0]["cells"]:
        if c["target"] != "app":
            continue
        key = (c["backend_ms"], c["concurrency"])
        apps = [_cell(r, "app", *key) for r in rounds]
        bares = [_cell(r, "bare", *key) for r in rounds]
        rows.append(
            [
                f"{key[0]} ms",
                str(key[1]),
                _fmt(_median([a["ack"]["p50_ms"] for a in apps])),
                _fmt(_median([a["ack"]["p99_ms"] for a in apps])),
                _fmt(max(a["ack"]["max_ms"] or 0 for a in apps)),
                _fmt(_median([b["ack"]["p99_ms"] for b in bares])),
                f"{sum(a['answers']['complete'] for a in apps)}/{sum(a['sent'] for a in apps)} complete",
                _fmt(_median([a["answers"]["latency"]["p50_ms"] for a in apps])),
                _fmt(max(a["answers"]["latency"]["max_ms"] or 0 for a in apps)),
                str(sum(a["backend_gets"] for a in apps)),
            ]
        )
    lines += _grid(header, rows)
    other = results["other_processes"]
    lines += [
        "",
        f"Other processes on this machine: {other['cpu_s']} CPU-s during {other['measured_s']} s "
        f"of measurement ({other['share_of_one_core']:.0%} of one core)"
        + (": not quiet, expect noisier figures" if other["share_of_one_core"] > 0.05 else ""),
        "",
        "Targets (ratio: median over rounds, range in brackets)",
    ]
    lines += _grid(
        ["", "target", "measured"],
        [["MET " if t["met"] else "MISS", t["target"], t["value"]] for t in results["targets"]],
    )
    return "\n".join(lines)


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return out
