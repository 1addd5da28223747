"""Approvals and audit store.

Approval requests and the audit log live in one SQL database (SQLite by default,
PostgreSQL by changing the URL). Operations and snapshots are opaque JSON: the store
knows nothing of Slack or the backends.

Every state change is a single conditional UPDATE whose row count says whether this
caller made the transition. That, not a Python lock, is what makes a delete run exactly
once when several approvers (or processes) click at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Enum,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

_SQLITE_BUSY_TIMEOUT_MS = 10_000

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"


_DECISIONS = frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.CANCELLED})
_OUTCOMES = frozenset({ApprovalStatus.EXECUTED, ApprovalStatus.FAILED, ApprovalStatus.STALE})


class ApprovalRequest(BaseModel):
    # Frozen so nobody mistakes editing a returned request for changing the stored one.
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    requester: str
    channel_id: str
    operation: dict[str, Any]
    snapshot: list[dict[str, Any]]
    summary: str
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None
    finished_at: datetime | None
    message_channel: str | None
    message_ts: str | None


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor: str
    action: str
    feature: str
    target: str
    outcome: str
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether this caller made the decision, and the request as it stands afterwards."""

    won: bool
    request: ApprovalRequest


class UnknownRequestError(LookupError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"no approval request with id {request_id}")
        self.request_id = request_id


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend.

    SQLite keeps datetimes as text without an offset, so values are converted to UTC
    before binding (keeping text comparisons like `expires_at > :now` correct) and
    given their UTC zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Stored as the lower-case value in a plain VARCHAR, so adding a status later needs no
# database-specific enum migration.
_STATUS_TYPE = Enum(
    ApprovalStatus,
    native_enum=False,
    length=16,
    values_callable=lambda statuses: [status.value for status in statuses],
)

metadata = MetaData()

approvals = Table(
    "approval_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("operation", JSON, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", _STATUS_TYPE, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("reason", Text),
    # SQL NULL rather than JSON 'null', so "no result yet" is queryable as IS NULL.
    Column("result", JSON(none_as_null=True)),
    Column("finished_at", UTCDateTime),
    Column("message_channel", String(64)),
    Column("message_ts", String(32)),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("feature", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_audit_log_feature_at", "feature", "at"),
)


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite://` or `postgresql://` URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _ASYNC_DRIVERS:
        return url
    return f"{_ASYNC_DRIVERS[scheme]}://{rest}"


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets reads go on while one task writes; the busy timeout makes concurrent
    # writers queue for the lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


async def _transition(
    conn: AsyncConnection,
    request_id: int,
    *,
    source: ApprovalStatus,
    target: ApprovalStatus,
    where: Sequence[ColumnElement[bool]] = (),
    **values: Any,
) -> bool:
    """Move one request from `source` to `target`; True only for the caller that did."""
    result = await conn.execute(
        update(approvals)
        .where(approvals.c.id == request_id, approvals.c.status == source, *where)
        .values(status=target, **values)
    )
    return result.rowcount == 1


async def _fetch(conn: AsyncConnection, request_id: int) -> ApprovalRequest | None:
    row = (await conn.execute(select(approvals).where(approvals.c.id == request_id))).first()
    return None if row is None else ApprovalRequest.model_validate(row, from_attributes=True)


# Any constant works; it only has to be the same in every replica of the bot.
_SCHEMA_LOCK = 0x5B07_5C4E


class ApprovalStore:
    """Approval requests and the audit log, behind an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, database_url: str) -> ApprovalStore:
        url = make_url(normalize_database_url(database_url))
        # A server-backed database can drop pooled connections (a restart, a failover, an
        # idle timeout); without a check on checkout the next request after that fails.
        engine = create_async_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _tune_sqlite)
        try:
            async with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    # Replicas starting together would race to create the same tables.
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
                    )
                await conn.run_sync(metadata.create_all)
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

    async def ping(self) -> bool:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def file(
        self,
        *,
        kind: str,
        requester: str,
        channel_id: str,
        operation: dict[str, Any],
        snapshot: list[dict[str, Any]],
        summary: str,
        now: datetime,
        ttl: timedelta,
    ) -> ApprovalRequest:
        if ttl <= timedelta(0):
            raise ValueError(f"ttl must be positive, got {ttl}")
        statement = (
            insert(approvals)
            .values(
                kind=kind,
                requester=requester,
                channel_id=channel_id,
                operation=operation,
                snapshot=snapshot,
                summary=summary,
                status=ApprovalStatus.PENDING,
                created_at=now,
                expires_at=now + ttl,
            )
            .returning(approvals)
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(statement)).one()
        return ApprovalRequest.model_validate(row, from_attributes=True)

    async def get(self, request_id: int) -> ApprovalRequest | None:
        async with self._engine.connect() as conn:
            return await _fetch(conn, request_id)

    async def attach_message(self, request_id: int, channel: str, ts: str) -> None:
        statement = (
            update(approvals)
            .where(approvals.c.id == request_id)
            .values(message_channel=channel, message_ts=ts)
        )
        async with self._engine.begin() as conn:
            if (await conn.execute(statement)).rowcount != 1:
                raise UnknownRequestError(request_id)

    async def decide(
        self,
        request_id: int,
        *,
        to: ApprovalStatus,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> Decision:
        if to not in _DECISIONS:
            raise ValueError(f"a decision must be one of {sorted(_DECISIONS)}, got {to!r}")
        # Writes come before the read in this transaction: a SQLite transaction that
        # reads first and then writes cannot wait for the lock and fails instead.
        async with self._engine.begin() as conn:
            won = await _transition(
                conn,
                request_id,
                source=ApprovalStatus.PENDING,
                target=to,
                where=[approvals.c.expires_at > now],
                decided_by=actor,
                decided_at=now,
                reason=reason,
            )
            if not won:
                # Settle a lapsed request here so the loser is told "expired", not a
                # "pending" that nobody can ever decide.
                await _transition(
                    conn,
                    request_id,
                    source=ApprovalStatus.PENDING,
                    target=ApprovalStatus.EXPIRED,
                    where=[approvals.c.expires_at <= now],
                )
            request = await _fetch(conn, request_id)
        if request is None:
            raise UnknownRequestError(request_id)
        return Decision(won=won, request=request)

    async def finish(
        self,
        request_id: int,
        *,
        to: ApprovalStatus,
        result: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record the outcome of an approved request; False if it was not approved.

        Only APPROVED → outcome exists, so a request stranded in APPROVED by a crash is
        never picked up and run a second time.
        """
        if to not in _OUTCOMES:
            raise ValueError(f"an outcome must be one of {sorted(_OUTCOMES)}, got {to!r}")
        async with self._engine.begin() as conn:
            return await _transition(
                conn,
                request_id,
                source=ApprovalStatus.APPROVED,
                target=to,
                result=result,
                finished_at=now,
            )

    async def expire_due(self, now: datetime) -> list[int]:
        """Mark every pending request past its expiry as EXPIRED; return their ids."""
        statement = (
            update(approvals)
            .where(approvals.c.status == ApprovalStatus.PENDING, approvals.c.expires_at <= now)
            .values(status=ApprovalStatus.EXPIRED)
            .returning(approvals.c.id)
        )
        async with self._engine.begin() as conn:
            return sorted((await conn.execute(statement)).scalars())

    async def pending(self) -> list[ApprovalRequest]:
        statement = (
            select(approvals)
            .where(approvals.c.status == ApprovalStatus.PENDING)
            .order_by(approvals.c.created_at, approvals.c.id)
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(statement)
            return [ApprovalRequest.model_validate(row, from_attributes=True) for row in rows]

    async def audit(
        self,
        *,
        actor: str,
        action: str,
        feature: str,
        target: str,
        outcome: str,
        detail: str = "",
        now: datetime,
    ) -> None:
        statement = insert(audit_log).values(
            at=now,
            actor=actor,
            action=action,
            feature=feature,
            target=target,
            outcome=outcome,
            detail=detail,
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def recent_audit(self, limit: int, feature: str | None = None) -> list[AuditEntry]:
        """Newest first; entries with the same timestamp in reverse insertion order."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        statement = (
            select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        )
        if feature is not None:
            statement = statement.where(audit_log.c.feature == feature)
        async with self._engine.connect() as conn:
            rows = await conn.execute(statement)
            return [AuditEntry.model_validate(row, from_attributes=True) for row in rows]
