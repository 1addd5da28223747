"""Crashes, replicas and the sweeper, on real `support-bot serve` processes.

A process is killed (SIGKILL: no drain, no cleanup) at each step of an approved delete, and
a fresh process on the same database settles the request truthfully, sending the DELETE at
most once. Replicas started at the same instant on a new database all serve.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.sandbox.harness import APPROVAL_CHANNEL, APPROVER
from bot.sandbox.slack import Message
from bot.store import ApprovalRequest, ApprovalStatus, ApprovalStore
from tests.helpers import button, command, text_of
from tests.test_serve import Backends, backends, environment, free_port, until_healthy
from tests.test_store import POSTGRES_URL, _emptied

__all__ = ["backends"]  # the fixture, shared with test_serve

Process = asyncio.subprocess.Process
# Short enough for a test, long enough for a delete to finish unhurried: see Settings.
TIMINGS = {"APPROVAL_LEASE": "3", "SWEEP_INTERVAL": "1", "HTTP_TIMEOUT": "1.0"}


@asynccontextmanager
async def serving(
    backends: Backends, tmp_path: Path, **env: str
) -> AsyncIterator[tuple[Process, str]]:
    """One `support-bot serve` in HTTP mode, killed (SIGKILL) when the block ends."""
    port = free_port()
    variables = {**environment(backends.settings()), **TIMINGS, **env}
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=variables,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        health = await until_healthy(process, base_url)
        assert health.status_code == 200
        yield process, base_url
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def point_slack_at(backends: Backends, base_url: str) -> None:
    backends.slack.app_url = f"{base_url}/slack/events"


async def file_request(backends: Backends) -> Message:
    """File the DingTalk binding of 30851821 for deletion; the approval card."""
    sandbox: Any = SimpleNamespace(slack=backends.slack)
    preview = await command(sandbox, "/binding", "delete 30851821 dd")
    value = button(preview, "binding_delete")["value"]
    await backends.slack.click(preview, "binding_delete", value=value)
    return await backends.slack.wait_for(lambda: backends.slack.last_message(APPROVAL_CHANNEL))


async def approve(backends: Backends, card: Message) -> None:
    value = button(card, "approval_approve")["value"]
    await backends.slack.click(card, "approval_approve", value=value, user_id=APPROVER)


async def file_and_approve(backends: Backends) -> Message:
    card = await file_request(backends)
    await approve(backends, card)
    return card


async def stored(backends: Backends, request_id: int = 1) -> ApprovalRequest:
    store = await ApprovalStore.open(f"sqlite:///{backends.database}")
    try:
        request = await store.get(request_id)
    finally:
        await store.close()
    assert request is not None
    return request


def deletes(backends: Backends) -> int:
    return sum(r.method == "DELETE" for r in backends.bangwo8.requests)


async def until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def settled_card(backends: Backends, card: Message, *words: str) -> str:
    await backends.slack.wait_for(lambda: all(w in text_of(card) for w in words), timeout=20)
    return text_of(card)


async def test_killed_during_the_recheck_nothing_was_sent_so_it_can_be_approved_again(
    backends: Backends, tmp_path: Path
) -> None:
    async with serving(backends, tmp_path) as (process, url):
        point_slack_at(backends, url)
        card = await file_request(backends)
        gets = sum(r.method == "GET" for r in backends.bangwo8.requests)
        backends.bangwo8.faults.inject(hang=True, method="GET")  # the re-check never answers
        await approve(backends, card)
        await until(lambda: sum(r.method == "GET" for r in backends.bangwo8.requests) > gets)
        process.kill()
    backends.bangwo8.faults.clear()
    assert (await stored(backends)).status is ApprovalStatus.EXECUTING

    async with serving(backends, tmp_path) as (_, url):
        point_slack_at(backends, url)
        text = await settled_card(backends, card, "Waiting for an approver", "interrupted")
        assert "nothing was deleted" in text and deletes(backends) == 0
        request = await stored(backends)
        assert request.status is ApprovalStatus.PENDING
        await approve(backends, card)
        await settled_card(backends, card, "Approved and executed")
    assert deletes(backends) == 1


async def test_killed_with_the_delete_in_flight_settles_as_deleted_without_resending(
    backends: Backends, tmp_path: Path
) -> None:
    # The backend applies the DELETE 1.5 s after receiving it, whoever is still listening.
    backends.bangwo8.faults.inject(latency=1.5, method="DELETE")
    async with serving(backends, tmp_path) as (process, url):
        point_slack_at(backends, url)
        card = await file_and_approve(backends)
        await until(lambda: deletes(backends) == 1)
        process.kill()
    request = await stored(backends)
    assert request.status is ApprovalStatus.EXECUTING and request.sent_at is not None

    async with serving(backends, tmp_path) as (_, url):
        point_slack_at(backends, url)
        text = await settled_card(backends, card, "Approved and executed")
        assert "deleted (gone when checked afterwards)" in text
        assert "not executed yet" not in text
        assert (await stored(backends)).status is ApprovalStatus.EXECUTED
        dm = await backends.slack.wait_for(
            lambda: next((m for m in backends.slack.messages if m.channel.startswith("D")), None)
        )
        assert "executed" in text_of(dm) and "failed" not in text_of(dm)
    assert deletes(backends) == 1


async def test_killed_with_the_delete_unanswered_is_outcome_unknown_never_resent(
    backends: Backends, tmp_path: Path
) -> None:
    # The DELETE reaches the backend and is never answered nor applied.
    backends.bangwo8.faults.inject(hang=True, method="DELETE")
    async with serving(backends, tmp_path) as (process, url):
        point_slack_at(backends, url)
        card = await file_and_approve(backends)
        await until(lambda: deletes(backends) == 1)
        process.kill()

    async with serving(backends, tmp_path) as (_, url):
        point_slack_at(backends, url)
        text = await settled_card(backends, card, "not known whether the delete was made")
        assert "Check with `/binding 30851821 dingding`" in text
        assert (await stored(backends)).status is ApprovalStatus.UNKNOWN
    assert deletes(backends) == 1


async def test_killed_after_the_backend_answered_settles_as_deleted(
    backends: Backends, tmp_path: Path
) -> None:
    backends.bangwo8.faults.inject(latency=0.5, method="DELETE")
    async with serving(backends, tmp_path) as (process, url):
        point_slack_at(backends, url)
        card = await file_and_approve(backends)
        await until(lambda: deletes(backends) == 1)
        # Hold the database so the outcome cannot be written, let the backend answer, kill.
        blocker = sqlite3.connect(backends.database, isolation_level=None, timeout=10)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            await until(lambda: (30851821, "dingding") not in backends.bangwo8.bindings)
            await asyncio.sleep(0.3)  # the answer is on its way back, then read
            process.kill()
            await process.wait()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert (await stored(backends)).status is ApprovalStatus.EXECUTING

    async with serving(backends, tmp_path) as (_, url):
        point_slack_at(backends, url)
        await settled_card(backends, card, "Approved and executed")
    assert deletes(backends) == 1


async def test_serve_expires_due_cards_and_reminds_once_without_a_click(
    backends: Backends, tmp_path: Path
) -> None:
    async with serving(backends, tmp_path, APPROVAL_TTL="6") as (_, url):
        point_slack_at(backends, url)
        card = await file_request(backends)
        await backends.slack.wait_for(
            lambda: any(
                "has waited for an approver" in text_of(m)
                for m in backends.slack.messages_in(APPROVAL_CHANNEL)
            ),
            timeout=10,
        )
        text = await settled_card(backends, card, "Expired, nothing was deleted")
        assert '"approval_approve"' not in str(card.blocks)
        reminders = [
            m
            for m in backends.slack.messages_in(APPROVAL_CHANNEL)
            if "has waited for an approver" in text_of(m)
        ]
        assert len(reminders) == 1 and "#1" in text_of(reminders[0])
        del text
    backends.slack.assert_clean()


# ---- replicas starting together -------------------------------------------------------------


async def _start_together(backends: Backends, tmp_path: Path, count: int, **env: str) -> None:
    ports = [free_port() for _ in range(count)]
    variables = {**environment(backends.settings()), **TIMINGS, **env}
    processes = await asyncio.gather(
        *(
            asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
                "--port",
                str(port),
                env=variables,
                cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for port in ports
        )
    )
    try:
        for process, port in zip(processes, ports, strict=True):
            try:
                health = await until_healthy(process, f"http://127.0.0.1:{port}")
            except BaseException:
                if process.returncode is not None and process.stderr is not None:
                    print((await process.stderr.read()).decode()[-2000:], file=sys.stderr)
                raise
            assert health.status_code == 200
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await process.wait()


async def test_replicas_starting_together_on_a_new_sqlite_file_all_serve(
    backends: Backends, tmp_path: Path
) -> None:
    # tests/test_store.py races ten openings in one process, a sharper test of the same.
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await _start_together(backends, tmp_path, 4, DATABASE_URL=url)
    store = await ApprovalStore.open(url, migrate=False)
    try:
        current, newest = await store.schema_revision()
        assert current == newest
    finally:
        await store.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set")
@pytest.mark.usefixtures("postgres_turn")
async def test_replicas_starting_together_on_a_new_postgresql_all_serve(
    backends: Backends, tmp_path: Path
) -> None:
    await _emptied(POSTGRES_URL)
    await _start_together(backends, tmp_path, 3, DATABASE_URL=POSTGRES_URL)
