"""The layers hold: views (bot/blocks) and every feature's grammar, wire values and views are
pure, loading no database layer or HTTP client, nor bolt; a serving process holds no Alembic."""

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
import handlers
from bot.migrations.revisions import head

HEAVY = ("sqlalchemy", "httpx", "aiohttp", "slack_bolt")
# What a feature folder holds besides its listeners: pure, every one.
PURE_PARTS = ("grammar", "payloads", "views", "cards", "listing", "modals")


def _pure_modules() -> list[str]:
    modules = [f"bot.blocks.{m.name}" for m in pkgutil.iter_modules(bot.blocks.__path__)]
    for feature in pkgutil.iter_modules(handlers.__path__):
        if feature.ispkg:
            folder = Path(handlers.__path__[0], feature.name)
            modules += [
                f"handlers.{feature.name}.{m.name}"
                for m in pkgutil.iter_modules([str(folder)])
                if m.name in PURE_PARTS
            ]
    return [*modules, "handlers.words", "bot.wire"]


PURE = _pure_modules()


def test_every_feature_s_grammar_and_views_are_checked() -> None:
    assert len([m for m in PURE if m.startswith("bot.blocks.")]) >= 5
    for module in (
        "bindings.grammar",
        "bindings.payloads",
        "bindings.cards",
        "user_customer.grammar",
        "user_customer.payloads",
        "user_customer.listing",
        "approvals.cards",
        "approvals.views",
    ):
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
    # Nor what only some requests need: `regex` for cutting a text too long for its place,
    # Socket Mode's clients in an HTTP replica.
    assert "regex" not in loaded
    assert [m for m in loaded if m.startswith("slack_sdk.socket_mode")] == []
