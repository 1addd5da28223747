"""The layers hold: views (bot/blocks and each feature's cards and views) are pure, loading no
database layer, HTTP client or bolt."""

from __future__ import annotations

import json
import os
import pkgutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import bot.blocks
from bot.migrations.revisions import head

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


def test_a_serving_process_migrates_in_a_child_and_never_loads_alembic(tmp_path: Path) -> None:
    """Alembic and Mako (about 11 MB) are needed once, at start: a child applies the
    migrations, so the long-lived serving process never holds them."""
    database = tmp_path / "store.sqlite3"
    code = (
        "import asyncio, json, sys\n"
        "import bot.cli, bot.server\n"
        "from bot.deps import open_deps\n"
        "from bot.settings import load_settings\n"
        "async def main():\n"
        "    deps = await open_deps(load_settings(), migrate_in_child=True)\n"
        "    await deps.store.close()\n"
        "asyncio.run(main())\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "BANGWO8_BASE_URL": "http://127.0.0.1:9",
        "BANGWO8_ACCOUNT": "agent",
        "BANGWO8_PASSWORD": "password",
        "USER_CUSTOMER_BASE_URL": "http://127.0.0.1:9",
        "USER_CUSTOMER_TOKEN": "token",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout)
    with closing(sqlite3.connect(database)) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == head()
    assert sorted({m.split(".")[0] for m in loaded} & {"alembic", "mako"}) == []
