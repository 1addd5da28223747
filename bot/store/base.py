"""The engine behind every part of the store, and the one conditional transition."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Connection,
    delete,
    event,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot import migrations
from bot.records import OPEN, ApprovalRequest, ApprovalStatus
from bot.store.schema import approvals, claims, normalize_database_url

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # The busy timeout makes concurrent writers (and other replicas) queue for the lock
    # instead of failing with "database is locked". WAL is switched on once, under the
    # schema lock (see `open`): the switch itself needs the database to itself.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _use_wal(connection: Connection) -> None:
    connection.exec_driver_sql("PRAGMA journal_mode=WAL")


async def transition(
    conn: AsyncConnection,
    request_id: int,
    *,
    source: ApprovalStatus | frozenset[ApprovalStatus],
    target: ApprovalStatus,
    where: Sequence[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Move one request from `source` to `target`; True only for the caller that did.

    A request that leaves the open states gives up its claims in the same transaction.
    """
    sources = source if isinstance(source, frozenset) else frozenset({source})
    result = await conn.execute(
        update(approvals)
        .where(approvals.c.id == request_id, approvals.c.status.in_(sources), *where)
        .values(status=target, **values)
    )
    won = result.rowcount == 1
    if won and target not in OPEN:
        await conn.execute(delete(claims).where(claims.c.request_id == request_id))
    return won


async def fetch(conn: AsyncConnection, request_id: int) -> ApprovalRequest | None:
    row = (await conn.execute(select(approvals).where(approvals.c.id == request_id))).first()
    return None if row is None else ApprovalRequest.model_validate(row, from_attributes=True)


def revisions() -> ModuleType:
    """Alembic's side, loaded only where migrations are looked at or applied: a serving
    process applies them in a child and never loads Alembic (`bot.migrations`)."""
    from bot.migrations import revisions

    return revisions


class StoreBase:
    """An async SQLAlchemy engine, opened (and migrated) once for every part of the store."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, database_url: str, *, migrate: bool = True) -> Self:
        """Connect, and (unless `migrate` is False) bring the schema to the newest revision."""
        url = make_url(normalize_database_url(database_url))
        # A server-backed database can drop pooled connections (a restart, a failover, an
        # idle timeout); without a check on checkout the next request after that fails.
        sqlite = url.get_backend_name() == "sqlite"
        engine = create_async_engine(
            url,
            pool_pre_ping=not sqlite,
            # SQLite has one writer at a time: connections of one process that collide wait in
            # SQLite's busy handler, sleeping up to 100 ms a turn (a burst of acks, each a
            # replay-key write, took seconds). One connection queues them in arrival order.
            **({"pool_size": 1, "max_overflow": 0} if sqlite else {}),
        )
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _tune_sqlite)
        if not migrate:
            return cls(engine)
        try:
            # Replicas starting together would race to create the same tables.
            async with migrations.schema_lock(url):
                if engine.dialect.name == "sqlite":
                    async with engine.connect() as conn:
                        await conn.run_sync(_use_wal)
                async with engine.begin() as conn:
                    await conn.run_sync(revisions().upgrade)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        """For the other small stores that share this database (bot/preferences.py)."""
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()

    async def schema_revision(self) -> tuple[str | None, str | None]:
        """(the database's schema revision, the newest this code knows): equal when current."""
        async with self._engine.connect() as conn:
            return await conn.run_sync(revisions().current), revisions().head()

    async def reach(self) -> None:
        """One round trip; raises SQLAlchemy's error (or OSError) when it cannot be made."""
        async with self._engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def ping(self) -> bool:
        try:
            await self.reach()
        except (SQLAlchemyError, OSError):
            return False
        return True
