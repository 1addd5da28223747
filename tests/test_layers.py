"""The layers hold: views (bot/blocks and each feature's cards and views) are pure, loading no
database layer, HTTP client or bolt."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import bot.blocks

HEAVY = ("sqlalchemy", "httpx", "aiohttp", "slack_bolt")
# The features' pure modules: models in, Block Kit and sentences out.
FEATURE_VIEWS = [
    "handlers.bindings.cards",
    "handlers.bindings.views",
    "handlers.approvals.cards",
    "handlers.approvals.views",
]


def test_importing_every_view_module_loads_no_sqlalchemy_httpx_or_aiohttp() -> None:
    modules = [f"bot.blocks.{m.name}" for m in pkgutil.iter_modules(bot.blocks.__path__)]
    assert len(modules) >= 4
    modules += FEATURE_VIEWS
    # A fresh interpreter: this one has loaded everything already.
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == [], f"bot.blocks loads {heavy[:5]}"
