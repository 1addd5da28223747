"""The layers hold: views (bot/blocks) and every feature's grammar and views are pure, loading
no database layer or HTTP client, nor bolt."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import bot.blocks
import handlers

HEAVY = ("sqlalchemy", "httpx", "aiohttp", "slack_bolt")


def _pure_modules() -> list[str]:
    modules = [f"bot.blocks.{m.name}" for m in pkgutil.iter_modules(bot.blocks.__path__)]
    for feature in pkgutil.iter_modules(handlers.__path__):
        if feature.ispkg:
            folder = Path(handlers.__path__[0], feature.name)
            modules += [
                f"handlers.{feature.name}.{m.name}"
                for m in pkgutil.iter_modules([str(folder)])
                if m.name in ("grammar", "views")
            ]
    return [*modules, "handlers.words", "handlers.metadata"]


PURE = _pure_modules()


def test_every_feature_s_grammar_and_views_are_checked() -> None:
    assert len([m for m in PURE if m.startswith("bot.blocks.")]) >= 5
    for module in ("bindings.grammar", "user_customer.grammar", "approvals.views"):
        assert f"handlers.{module}" in PURE


def test_pure_modules_load_no_sqlalchemy_httpx_aiohttp_or_bolt() -> None:
    # A fresh interpreter (this one has loaded everything already), importing each module in
    # turn and naming what each one brought in.
    code = (
        "import importlib, json, sys\n"
        "brought = {}\n"
        f"for name in {PURE!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    brought[name] = sorted(set(sys.modules) - before)\n"
        "print(json.dumps(brought))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    brought: dict[str, list[str]] = json.loads(done.stdout)
    heavy = {
        module: found
        for module, loaded in brought.items()
        if (found := [m for m in loaded if m.split(".")[0] in HEAVY])
    }
    assert heavy == {}, f"impure: { {m: found[:3] for m, found in heavy.items()} }"
