from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import create_async_engine

from bot import migrations, preferences
from bot.migrations import revisions
from bot.models import Binding, BindingKey, Relation, RelationKey, RelationSelection
from bot.records import (
    Executed,
    Interrupted,
    Record,
    RecordOutcome,
    RelationDeletion,
    Stale,
    key_named,
)
from bot.store import (
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStore,
    RecordsClaimed,
    UnknownRequestError,
    metadata,
    normalize_database_url,
)
from bot.store.replay_sqlite import CHECKPOINT_EVERY, SqliteKeys

# A PostgreSQL database these tests may empty at will, e.g. from `.ci/postgres`.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(hours=24)
LEASE = timedelta(minutes=2)
DELETION = RelationDeletion(RelationSelection.decode("998:1001,1002"))


def _record(name: str) -> Record:
    """A record the store names `name` (its claim), with text that must come back as written."""
    key = key_named(name)
    if isinstance(key, BindingKey):
        return Binding(cid=key.cid, source=key.source, open_id=f"o-{key.cid}", remark="ünïcode")
    assert isinstance(key, RelationKey)
    return Relation(user_id=key.user_id, customer_id=key.customer_id, reference="ünïcode")


NOTHING = Executed(outcomes=[])


def _url(path: Path) -> str:
    return f"sqlite:///{path / 'store.db'}"


async def _emptied(url: str) -> str:
    """Drop the store's tables, so that the test's `ApprovalStore.open` starts afresh."""
    engine = create_async_engine(normalize_database_url(url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()
    return url


_POSTGRES = pytest.param(
    "postgres",
    marks=pytest.mark.skipif(
        not POSTGRES_URL,
        reason='TEST_POSTGRES_URL is not set (`eval "$(bash .ci/postgres)"` sets it)',
    ),
)


@pytest.fixture(params=["sqlite", _POSTGRES])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on SQLite, and on PostgreSQL when one is given."""
    if request.param == "sqlite":
        return _url(tmp_path)
    request.getfixturevalue("postgres_turn")
    return await _emptied(POSTGRES_URL)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ApprovalStore]:
    opened = await ApprovalStore.open(database_url)
    yield opened
    await opened.close()


async def _file(
    store: ApprovalStore,
    *,
    now: datetime = NOW,
    requester: str = "U_REQ",
    records: list[str] | None = None,
) -> ApprovalRequest:
    return await store.file(
        deletion=DELETION,
        requester=requester,
        channel_id="C_SUPPORT",
        snapshot=[_record(name) for name in records or []],
        now=now,
        ttl=TTL,
    )


async def _approved(store: ApprovalStore) -> ApprovalRequest:
    filed = await _file(store)
    decision = await store.decide(filed.id, to=ApprovalStatus.APPROVED, actor="U_APP", now=NOW)
    assert decision.won
    return decision.request


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite:////abs/bot.db", "sqlite+aiosqlite:////abs/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("postgresql://u:p%40ss@db:5432/bot", "postgresql+asyncpg://u:p%40ss@db:5432/bot"),
        ("postgres://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("mysql+aiomysql://u@db/bot", "mysql+aiomysql://u@db/bot"),
    ],
)
def test_normalize_database_url(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


async def test_file_get_roundtrip(store: ApprovalStore) -> None:
    names = ["contact 42 workWechat", "customer 7 of user 998"]
    filed = await _file(store, records=names)

    fetched = await store.get(filed.id)

    assert fetched == filed
    assert fetched.deletion == DELETION and fetched.summary == DELETION.summary
    assert fetched.snapshot == [_record(name) for name in names]
    assert sorted(await store.holders(names)) == sorted(names)
    assert fetched.status is ApprovalStatus.PENDING
    assert fetched.created_at == NOW
    assert fetched.expires_at == NOW + TTL
    assert fetched.expires_at.tzinfo is not None
    assert (fetched.decided_by, fetched.decided_at, fetched.result) == (None, None, None)
    assert await store.get(filed.id + 1) is None


async def test_datetimes_come_back_in_utc(store: ApprovalStore) -> None:
    tokyo = timezone(timedelta(hours=9))
    filed = await _file(store, now=NOW.astimezone(tokyo))

    assert filed.created_at == NOW
    assert filed.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(store: ApprovalStore) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        await _file(store, now=NOW.replace(tzinfo=None))


async def test_attach_message(store: ApprovalStore) -> None:
    filed = await _file(store)

    await store.attach_message(filed.id, "C_APPROVALS", "1714564800.000100")

    fetched = await store.get(filed.id)
    assert fetched is not None
    assert (fetched.message_channel, fetched.message_ts) == ("C_APPROVALS", "1714564800.000100")
    with pytest.raises(UnknownRequestError):
        await store.attach_message(filed.id + 1, "C", "1.0")


async def test_concurrent_approvals_have_exactly_one_winner(store: ApprovalStore) -> None:
    filed = await _file(store)

    decisions = await asyncio.gather(
        *(
            store.decide(filed.id, to=ApprovalStatus.APPROVED, actor=f"U_APP{i % 2}", now=NOW)
            for i in range(20)
        )
    )

    winners = [d for d in decisions if d.won]
    assert len(winners) == 1
    winner = winners[0].request.decided_by
    assert winner in {"U_APP0", "U_APP1"}
    assert all(d.request.status is ApprovalStatus.APPROVED for d in decisions)
    assert all(d.request.decided_by == winner for d in decisions)


async def test_decide_after_expiry_expires_and_loses(store: ApprovalStore) -> None:
    filed = await _file(store)

    decision = await store.decide(
        filed.id, to=ApprovalStatus.APPROVED, actor="U_APP", now=filed.expires_at
    )

    assert not decision.won
    assert decision.request.status is ApprovalStatus.EXPIRED
    assert decision.request.decided_by is None
    again = await store.decide(filed.id, to=ApprovalStatus.APPROVED, actor="U_APP", now=NOW)
    assert not again.won
    assert again.request.status is ApprovalStatus.EXPIRED


async def test_reject_records_reason(store: ApprovalStore) -> None:
    filed = await _file(store)

    decision = await store.decide(
        filed.id, to=ApprovalStatus.REJECTED, actor="U_APP", now=NOW, reason="wrong account"
    )

    assert decision.won
    assert decision.request.status is ApprovalStatus.REJECTED
    assert decision.request.reason == "wrong account"
    assert decision.request.decided_at == NOW


async def test_cancel_only_while_pending(store: ApprovalStore) -> None:
    pending = await _file(store)
    cancelled = await store.decide(pending.id, to=ApprovalStatus.CANCELLED, actor="U_REQ", now=NOW)
    assert cancelled.won
    assert cancelled.request.status is ApprovalStatus.CANCELLED

    approved = await _approved(store)
    too_late = await store.decide(approved.id, to=ApprovalStatus.CANCELLED, actor="U_REQ", now=NOW)
    assert not too_late.won
    assert too_late.request.status is ApprovalStatus.APPROVED
    assert too_late.request.decided_by == "U_APP"


async def test_decide_refuses_non_decisions_and_unknown_ids(store: ApprovalStore) -> None:
    filed = await _file(store)

    with pytest.raises(ValueError, match="decision"):
        await store.decide(filed.id, to=ApprovalStatus.EXECUTED, actor="U_APP", now=NOW)
    with pytest.raises(UnknownRequestError):
        await store.decide(filed.id + 1, to=ApprovalStatus.APPROVED, actor="U_APP", now=NOW)


async def _executing(store: ApprovalStore) -> ApprovalRequest:
    begun = await store.begin_execution(
        await _approved(store), executor="replica-1", now=NOW, lease=LEASE
    )
    assert begun is not None
    return begun


async def test_finish_only_from_executing_and_only_once(store: ApprovalStore) -> None:
    filed = await _file(store)
    done = NOW + timedelta(seconds=5)
    outcome = Executed(
        outcomes=[
            RecordOutcome(
                record=key_named("customer 1001 of user 998") or "",
                deleted=True,
                sentence="deleted",
            ),
            RecordOutcome(record="an older name", deleted=False, sentence="refused"),
        ]
    )

    assert not await store.finish(
        filed.id, attempt=1, to=ApprovalStatus.EXECUTED, result=NOTHING, now=done
    )
    approved = await store.decide(filed.id, to=ApprovalStatus.APPROVED, actor="U_APP", now=NOW)
    assert not await store.finish(
        filed.id, attempt=0, to=ApprovalStatus.EXECUTED, result=NOTHING, now=done
    )
    begun = await store.begin_execution(approved.request, executor="r1", now=NOW, lease=LEASE)
    assert begun is not None and begun.status is ApprovalStatus.EXECUTING
    assert begun.attempt == 1 and begun.executor == "r1" and begun.started_at == NOW
    assert (
        await store.begin_execution(approved.request, executor="r2", now=NOW, lease=LEASE) is None
    )
    assert await store.finish(
        filed.id, attempt=1, to=ApprovalStatus.EXECUTED, result=outcome, now=done
    )
    assert not await store.finish(
        filed.id, attempt=1, to=ApprovalStatus.FAILED, result=NOTHING, now=done
    )

    fetched = await store.get(filed.id)
    assert fetched is not None
    assert fetched.status is ApprovalStatus.EXECUTED
    assert fetched.result == outcome
    assert fetched.finished_at == done


async def test_concurrent_finishes_have_exactly_one_winner(store: ApprovalStore) -> None:
    begun = await _executing(store)

    results = await asyncio.gather(
        *(
            store.finish(
                begun.id,
                attempt=1,
                to=ApprovalStatus.EXECUTED,
                result=Stale(changes=[str(i)]),
                now=NOW,
            )
            for i in range(10)
        )
    )

    assert results.count(True) == 1


async def test_finish_refuses_non_outcomes(store: ApprovalStore) -> None:
    begun = await _executing(store)

    with pytest.raises(ValueError, match="outcome"):
        await store.finish(begun.id, attempt=1, to=ApprovalStatus.APPROVED, result=NOTHING, now=NOW)


async def test_a_taken_over_attempt_can_neither_send_nor_finish(store: ApprovalStore) -> None:
    begun = await _executing(store)
    assert await store.stranded(NOW + LEASE / 2, LEASE) == []
    [stranded] = await store.stranded(NOW + LEASE, LEASE)

    takers = await asyncio.gather(
        *(
            store.take_over(stranded, executor=f"s{i}", now=NOW + LEASE, lease=LEASE)
            for i in range(5)
        )
    )
    [taken] = [t for t in takers if t is not None]
    assert taken.attempt == 2 and taken.sent_at is None

    assert not await store.mark_sent(begun.id, attempt=1, now=NOW)
    assert not await store.finish(
        begun.id, attempt=1, to=ApprovalStatus.EXECUTED, result=NOTHING, now=NOW
    )
    reopened = await store.reopen(taken, now=NOW + LEASE)
    assert reopened.status is ApprovalStatus.PENDING and reopened.decided_by is None
    assert reopened.result == Interrupted(approved_by="U_APP")


async def test_a_sent_attempt_is_never_reopened(store: ApprovalStore) -> None:
    begun = await _executing(store)
    assert await store.mark_sent(begun.id, attempt=1, now=NOW)
    [stranded] = await store.stranded(NOW + LEASE, LEASE)
    taken = await store.take_over(stranded, executor="s", now=NOW + LEASE, lease=LEASE)
    assert taken is not None and taken.sent_at == NOW

    still = await store.reopen(taken, now=NOW + LEASE)

    assert still.status is ApprovalStatus.EXECUTING


async def test_one_open_request_per_record(store: ApprovalStore) -> None:
    records = ["contact 1 dingding", "contact 2 wechat"]
    first = await _file(store, records=records)

    filings = await asyncio.gather(
        *(_file(store, records=["contact 2 wechat", "contact 3 open"]) for _ in range(5)),
        return_exceptions=True,
    )

    assert all(isinstance(f, RecordsClaimed) for f in filings)
    claimed = filings[0]
    assert isinstance(claimed, RecordsClaimed)
    assert {k: r.id for k, r in claimed.holders.items()} == {"contact 2 wechat": first.id}
    await store.decide(first.id, to=ApprovalStatus.CANCELLED, actor="U_REQ", now=NOW)
    again = await _file(store, records=records)
    assert (await store.holders(records)) == {r: again for r in records}


async def test_expiry_releases_claims_and_reminders_go_out_once(store: ApprovalStore) -> None:
    filed = await _file(store, records=["contact 1 dingding"])
    assert await store.remind_due(NOW + TTL / 2 - timedelta(seconds=1)) == []
    reminded = await asyncio.gather(*(store.remind_due(NOW + TTL / 2) for _ in range(5)))
    assert [r.id for batch in reminded for r in batch] == [filed.id]

    [expired] = await store.expire_due(NOW + TTL)

    assert expired.id == filed.id and expired.status is ApprovalStatus.EXPIRED
    assert await store.holders(["contact 1 dingding"]) == {}


async def test_schema_is_current_after_open(store: ApprovalStore) -> None:
    current, newest = await store.schema_revision()
    assert current == newest is not None


async def test_migrations_match_the_tables_the_store_uses(database_url: str) -> None:
    store = await ApprovalStore.open(database_url)
    await store.close()
    engine = create_async_engine(normalize_database_url(database_url))

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection)
        # Every table on the store's metadata, the preferences' one included.
        assert preferences.user_preferences.metadata is metadata
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_a_database_from_before_migrations_is_adopted(database_url: str) -> None:
    """Tables created by the store's old `create_all`: stamped at the baseline, upgraded."""
    engine = create_async_engine(normalize_database_url(database_url))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_old_schema)
            await conn.execute(
                text(
                    "INSERT INTO approval_requests (kind, requester, channel_id, operation,"
                    " snapshot, summary, status, created_at, expires_at)"
                    " VALUES ('binding', 'U', 'C', '{\"kind\": \"binding\", \"cid\": 1,"
                    " \"source\": \"open\"}', '[]', 's', 'pending',"
                    " '2024-05-01 12:00:00', '2024-05-02 12:00:00')"
                )
            )
    finally:
        await engine.dispose()

    store = await ApprovalStore.open(database_url)
    try:
        [old] = await store.pending()
        assert old.attempt == 0 and old.sent_at is None
        current, newest = await store.schema_revision()
        assert current == newest
    finally:
        await store.close()


def _old_schema(connection: Any) -> None:
    """The tables as `metadata.create_all` made them before migrations: revision 0001."""
    revisions.upgrade(connection, migrations.BASELINE)
    connection.execute(text("DROP TABLE alembic_version"))


async def test_expire_due_and_pending(store: ApprovalStore) -> None:
    old = await _file(store)
    older = await _file(store, now=NOW - timedelta(hours=1))
    fresh = await _file(store, now=NOW + timedelta(hours=12))
    approved = await _approved(store)
    later = NOW + TTL

    expired = await store.expire_due(later)

    assert [r.id for r in expired] == sorted([old.id, older.id])
    assert await store.expire_due(later) == []
    assert [r.id for r in await store.pending()] == [fresh.id]
    still_approved = await store.get(approved.id)
    assert still_approved is not None
    assert still_approved.status is ApprovalStatus.APPROVED


async def test_pending_survives_restart(database_url: str) -> None:
    first = await ApprovalStore.open(database_url)
    filed = await _file(first)
    await first.attach_message(filed.id, "C_APPROVALS", "1.2")
    await first.close()

    reopened = await ApprovalStore.open(database_url)
    try:
        assert await reopened.pending() == [await reopened.get(filed.id)]
        decision = await reopened.decide(
            filed.id, to=ApprovalStatus.APPROVED, actor="U_APP", now=NOW
        )
        assert decision.won
        assert decision.request.message_ts == "1.2"
    finally:
        await reopened.close()


async def test_recent_audit_order_limit_and_feature(store: ApprovalStore) -> None:
    for minute, feature in enumerate(["binding", "user_customer", "binding", "binding"]):
        await store.audit(
            actor="U_ED",
            action="delete",
            feature=feature,
            target=f"t{minute}",
            outcome="ok",
            now=NOW + timedelta(minutes=minute),
        )
    await store.audit(
        actor="U_ED", action="add", feature="binding", target="t4", outcome="refused", now=NOW
    )

    recent = await store.recent_audit(3)
    bindings = await store.recent_audit(10, feature="binding")

    assert [e.target for e in recent] == ["t3", "t2", "t1"]
    assert [e.target for e in bindings] == ["t3", "t2", "t4", "t0"]
    assert recent[0].at == NOW + timedelta(minutes=3)
    assert bindings[2].detail == ""
    assert await store.recent_audit(5, feature="nothing") == []
    with pytest.raises(ValueError, match="limit"):
        await store.recent_audit(0)


async def test_ping(store: ApprovalStore) -> None:
    assert await store.ping()


@pytest.mark.parametrize("database_url", [_POSTGRES], indirect=True)
async def test_survives_dropped_server_connections(database_url: str) -> None:
    store = await ApprovalStore.open(database_url)
    try:
        filed = await _file(store)
        # What a server restart or failover does to the connections idle in the pool.
        engine = create_async_engine(normalize_database_url(database_url))
        try:
            async with engine.connect() as conn:
                dropped = await conn.scalar(
                    text(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                        " FROM pg_stat_activity"
                        " WHERE usename = current_user AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            await engine.dispose()
        assert dropped

        assert await store.get(filed.id) == filed
    finally:
        await store.close()


async def test_replicas_starting_together_create_the_tables_once(database_url: str) -> None:
    stores = await asyncio.gather(*(ApprovalStore.open(database_url) for _ in range(10)))
    try:
        assert all([await s.ping() for s in stores])
    finally:
        for opened in stores:
            await opened.close()


async def test_a_request_key_is_seen_first_once_even_when_raced(database_url: str) -> None:
    store = await ApprovalStore.open(database_url)
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    keep = timedelta(minutes=10)
    try:
        firsts = await asyncio.gather(
            *(store.first_sighting("v0=abc", now=now, keep=keep) for _ in range(10))
        )
        assert firsts.count(True) == 1
        assert not await store.first_sighting("v0=abc", now=now + timedelta(minutes=9), keep=keep)
        # Past its time the key is pruned, so the table only holds the replay window.
        later = now + timedelta(minutes=11)
        assert await store.first_sighting("v0=abc", now=later, keep=keep)
    finally:
        await store.close()


async def test_request_keys_arriving_together_are_each_first_once_in_every_replica(
    database_url: str,
) -> None:
    """A burst of keys (some repeated, within the burst and across replicas) goes to the
    database together; each key is still first exactly once."""
    stores = [await ApprovalStore.open(database_url) for _ in range(2)]
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    keep = timedelta(minutes=10)
    keys = [f"sig:{n % 20}" for n in range(120)]
    try:
        firsts = await asyncio.gather(
            *(stores[n % 2].first_sighting(key, now=now, keep=keep) for n, key in enumerate(keys))
        )
        first_keys = [key for key, first in zip(keys, firsts, strict=True) if first]
        assert sorted(first_keys) == sorted(set(keys))
        again = [await s.first_sighting("sig:7", now=now, keep=keep) for s in stores]
        assert again == [False, False]
    finally:
        for store in stores:
            await store.close()


async def test_a_request_key_waits_for_a_busy_sqlite_file_instead_of_failing(
    tmp_path: Path,
) -> None:
    """A key is written at once when the file is free; while another replica holds the write
    lock it waits for it (on a thread, never blocking the event loop), then counts as usual."""
    store = await ApprovalStore.open(_url(tmp_path))
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    keep = timedelta(minutes=10)
    other = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    try:
        assert await store.first_sighting("sig:free", now=now, keep=keep)
        other.execute("BEGIN IMMEDIATE")  # another replica writing
        waiting = asyncio.gather(
            store.first_sighting("sig:busy", now=now, keep=keep),
            store.first_sighting("sig:busy", now=now, keep=keep),
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the loop kept running while the key waited
        other.execute("COMMIT")
        assert sorted(await asyncio.wait_for(waiting, 5)) == [False, True]
        assert not await store.first_sighting("sig:free", now=now, keep=keep)
    finally:
        other.close()
        await store.close()


async def test_a_request_key_never_waits_for_the_prune_of_old_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a minute the keys past their time are pruned, on the keys' thread. Keys used to
    wait for that prune, and every key after them for as long as any waited: a burst that
    met the minute went through the thread, its acks a loop turn later each."""
    pruning = threading.Event()
    release = threading.Event()
    prune = SqliteKeys._prune

    def slow_prune(keys: SqliteKeys, now: str) -> None:
        pruning.set()
        release.wait(10)
        prune(keys, now)

    monkeypatch.setattr(SqliteKeys, "_prune", slow_prune)
    store = await ApprovalStore.open(_url(tmp_path))
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    keep = timedelta(minutes=10)
    try:
        firsts = [
            await asyncio.wait_for(store.first_sighting(f"sig:{n}", now=now, keep=keep), 5)
            for n in range(20)
        ]
        assert firsts == [True] * 20 and not release.is_set()  # the prune is still under way
        assert not await store.first_sighting("sig:3", now=now, keep=keep)
        # A key past its time is new again, pruned or not.
        assert await store.first_sighting("sig:3", now=now + keep, keep=keep)
        assert pruning.is_set()
    finally:
        release.set()
        await store.close()


@pytest.mark.parametrize("checkpoint_lag", [0.0, 0.02])
async def test_request_keys_keep_the_sqlite_write_ahead_log_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoint_lag: float
) -> None:
    """Keys written at once never checkpoint on the event loop: the keys' thread does, every
    CHECKPOINT_EVERY keys, so the log stays small (unchecked it grew a megabyte a second).
    On a loaded machine the thread's turn comes late (checkpoint_lag); keys written on the
    loop while it copied left the log never wholly copied back, so SQLite never restarted it
    and it grew with every key (6.7 MB on a loaded CI machine)."""
    checkpoint = SqliteKeys._checkpoint

    def lagging_checkpoint(keys: SqliteKeys) -> tuple[int, int, int]:
        time.sleep(checkpoint_lag)  # the thread's turn comes late, as on a loaded machine
        return checkpoint(keys)

    monkeypatch.setattr(SqliteKeys, "_checkpoint", lagging_checkpoint)
    store = await ApprovalStore.open(_url(tmp_path))
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    try:
        for n in range(12 * CHECKPOINT_EVERY):
            assert await store.first_sighting(f"sig:{n}", now=now, keep=timedelta(minutes=10))
            if n % 64 == 0:
                await asyncio.sleep(0.01)  # the checkpoint runs on its thread meanwhile
        wal = tmp_path / "store.db-wal"
        # About three pages a key: bounded by a few checkpoints' worth, not by the 3,072 keys.
        assert wal.stat().st_size < 3 * CHECKPOINT_EVERY * 3 * 4096
    finally:
        await store.close()
