"""The layers hold: views (bot/blocks) are pure, loading no database layer or HTTP client."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import bot.blocks

HEAVY = ("sqlalchemy", "httpx", "aiohttp")


def test_importing_every_view_module_loads_no_sqlalchemy_httpx_or_aiohttp() -> None:
    modules = [f"bot.blocks.{m.name}" for m in pkgutil.iter_modules(bot.blocks.__path__)]
    assert len(modules) >= 5
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
