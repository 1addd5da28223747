"""Every test drives the real app through the sandbox: signed HTTP in, recorded Slack calls out."""

from __future__ import annotations

import fcntl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.harness import Sandbox, running_sandbox

MakeSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
def postgres_turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One test at a time on TEST_POSTGRES_URL, which each empties, across pytest-xdist workers.

    The workers' temporary folders share a parent: a lock file there orders them.
    """
    lock = tmp_path_factory.getbasetemp().parent / "postgres.lock"
    with lock.open("w") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        yield


@pytest.fixture
async def make_sandbox(tmp_path: Path) -> AsyncIterator[MakeSandbox]:
    """Start a sandbox with settings overrides; each is checked against Slack's rules at the end."""
    async with AsyncExitStack() as stack:
        started: list[Sandbox] = []

        async def make(**overrides: Any) -> Sandbox:
            database = tmp_path / f"store-{len(started)}.db"
            overrides.setdefault("database", database)
            sandbox = await stack.enter_async_context(running_sandbox(**overrides))
            started.append(sandbox)
            return sandbox

        yield make
        for sandbox in started:
            sandbox.slack.assert_clean()


@pytest.fixture
async def sandbox(make_sandbox: MakeSandbox) -> Sandbox:
    return await make_sandbox()
