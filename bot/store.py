"""Approvals and audit store.

Approval requests and the audit log live in one SQL database (SQLite by default,
PostgreSQL by changing the URL). Operations and snapshots are opaque JSON: the store
knows nothing of Slack or the backends.

Every state change is a single conditional UPDATE whose row count says whether this
caller made the transition. That, not a Python lock, is what makes a delete run exactly
once when several approvers (or processes) click at the same time.

Execution is a journal: APPROVED → EXECUTING (attempt, executor, lease) → sent (`sent_at`,
written before the write goes out) → EXECUTED / FAILED / STALE / UNKNOWN. Each step is
conditional on the attempt, so a replica that took a stranded request over (see
`take_over`) and the one it took over from can never both act. An open request (pending,
approved, executing) holds a claim row per record; the claim's primary key is what keeps
a record in one open request at a time, on every replica.
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
    Connection,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from bot import migrations

_SQLITE_BUSY_TIMEOUT_MS = 10_000
# How often one replica prunes the replay keys past their time.
_PRUNE_EVERY = timedelta(minutes=1)

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
    EXECUTING = "executing"
    # Sent, but no verdict came back: the record's lookup says whether it was applied.
    UNKNOWN = "unknown"


_DECISIONS = frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.CANCELLED})
_OUTCOMES = frozenset(
    {ApprovalStatus.EXECUTED, ApprovalStatus.FAILED, ApprovalStatus.STALE, ApprovalStatus.UNKNOWN}
)
OPEN = frozenset({ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.EXECUTING})


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
    attempt: int = 0
    executor: str | None = None
    started_at: datetime | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    reminded_at: datetime | None = None


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


class RecordsClaimed(Exception):
    """Some records are already in an open request; `holders` maps each to that request."""

    def __init__(self, holders: dict[str, ApprovalRequest]) -> None:
        super().__init__(f"records in open requests: {sorted(holders)}")
        self.holders = holders


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
    # The execution journal: which attempt runs, who runs it, until when, and whether the
    # write may have gone out (set before sending, never cleared).
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("executor", String(128)),
    Column("started_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("reminded_at", UTCDateTime),
)

# One row per record of an open request; the primary key allows one open request per record.
claims = Table(
    "approval_claims",
    metadata,
    Column("record", String(200), primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("approval_requests.id", name="fk_approval_claims_request_id"),
        nullable=False,
        index=True,
    ),
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


# Requests already run: a second insert of the same key fails, in every replica at once.
seen_requests = Table(
    "seen_requests",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite://` or `postgresql://` URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _ASYNC_DRIVERS:
        return url
    return f"{_ASYNC_DRIVERS[scheme]}://{rest}"


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # The busy timeout makes concurrent writers (and other replicas) queue for the lock
    # instead of failing with "database is locked". WAL is switched on once, under the
    # schema lock (see `open`): the switch itself needs the database to itself.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _use_wal(connection: Connection) -> None:
    connection.exec_driver_sql("PRAGMA journal_mode=WAL")


async def _transition(
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


async def _fetch(conn: AsyncConnection, request_id: int) -> ApprovalRequest | None:
    row = (await conn.execute(select(approvals).where(approvals.c.id == request_id))).first()
    return None if row is None else ApprovalRequest.model_validate(row, from_attributes=True)


class ApprovalStore:
    """Approval requests and the audit log, behind an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._next_prune = datetime.min.replace(tzinfo=UTC)

    @classmethod
    async def open(cls, database_url: str, *, migrate: bool = True) -> ApprovalStore:
        """Connect, and (unless `migrate` is False) bring the schema to the newest revision."""
        url = make_url(normalize_database_url(database_url))
        # A server-backed database can drop pooled connections (a restart, a failover, an
        # idle timeout); without a check on checkout the next request after that fails.
        engine = create_async_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
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
                    await conn.run_sync(migrations.upgrade)
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
            return await conn.run_sync(migrations.current), migrations.head()

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
        records: Sequence[str] = (),
    ) -> ApprovalRequest:
        """File a request that claims `records`; RecordsClaimed if an open request has one."""
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
        # Twice at most: the holder found by the first try may have closed before we looked.
        for _ in range(2):
            try:
                async with self._engine.begin() as conn:
                    row = (await conn.execute(statement)).one()
                    if records:
                        await conn.execute(
                            insert(claims), [{"record": r, "request_id": row.id} for r in records]
                        )
            except IntegrityError:
                holders = await self.holders(records)
                if holders:
                    raise RecordsClaimed(holders) from None
                continue
            return ApprovalRequest.model_validate(row, from_attributes=True)
        raise RecordsClaimed(await self.holders(records))

    async def holders(self, records: Sequence[str]) -> dict[str, ApprovalRequest]:
        """The open request holding each of `records` that one holds."""
        statement = (
            select(claims.c.record, approvals)
            .join(approvals, approvals.c.id == claims.c.request_id)
            .where(claims.c.record.in_(list(records)))
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return {
            row.record: ApprovalRequest.model_validate(row, from_attributes=True) for row in rows
        }

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

    # ---- the execution journal ----

    async def begin_execution(
        self, request: ApprovalRequest, *, executor: str, now: datetime, lease: timedelta
    ) -> ApprovalRequest | None:
        """APPROVED → EXECUTING as the next attempt; None if someone else began it."""
        return await self._journal(
            request.id,
            source=ApprovalStatus.APPROVED,
            where=[approvals.c.attempt == request.attempt],
            attempt=request.attempt + 1,
            executor=executor,
            started_at=now,
            lease_until=now + lease,
        )

    async def mark_sent(self, request_id: int, *, attempt: int, now: datetime) -> bool:
        """Record that the write is about to go out; False if the attempt was taken over."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(approvals)
                .where(
                    approvals.c.id == request_id,
                    approvals.c.status == ApprovalStatus.EXECUTING,
                    approvals.c.attempt == attempt,
                )
                .values(sent_at=now)
            )
            return result.rowcount == 1

    async def finish(
        self,
        request_id: int,
        *,
        attempt: int,
        to: ApprovalStatus,
        result: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Record the outcome of an attempt; False if that attempt no longer owns the request."""
        if to not in _OUTCOMES:
            raise ValueError(f"an outcome must be one of {sorted(_OUTCOMES)}, got {to!r}")
        async with self._engine.begin() as conn:
            return await _transition(
                conn,
                request_id,
                source=ApprovalStatus.EXECUTING,
                target=to,
                where=[approvals.c.attempt == attempt],
                result=result,
                finished_at=now,
                lease_until=None,
            )

    async def stranded(self, now: datetime, lease: timedelta) -> list[ApprovalRequest]:
        """Requests approved but never begun for a lease, or executing past their lease."""
        statement = select(approvals).where(
            or_(
                (approvals.c.status == ApprovalStatus.APPROVED)
                & (approvals.c.decided_at <= now - lease),
                (approvals.c.status == ApprovalStatus.EXECUTING) & (approvals.c.lease_until <= now),
            )
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(statement.order_by(approvals.c.id))
            return [ApprovalRequest.model_validate(row, from_attributes=True) for row in rows]

    async def take_over(
        self, request: ApprovalRequest, *, executor: str, now: datetime, lease: timedelta
    ) -> ApprovalRequest | None:
        """Make a stranded request this executor's next attempt; None if another replica did.

        The attempt it was seen with must still be current, so of several sweepers one wins;
        `sent_at` is kept, so whoever settles it knows a write may have gone out.
        """
        return await self._journal(
            request.id,
            source=frozenset({ApprovalStatus.APPROVED, ApprovalStatus.EXECUTING}),
            where=[approvals.c.attempt == request.attempt],
            attempt=request.attempt + 1,
            executor=executor,
            started_at=request.started_at or now,
            lease_until=now + lease,
        )

    async def reopen(self, request: ApprovalRequest, *, now: datetime) -> ApprovalRequest:
        """An attempt that never sent anything: pending again (expired if due), claims kept."""
        request_id = request.id
        async with self._engine.begin() as conn:
            unsent = [approvals.c.attempt == request.attempt, approvals.c.sent_at.is_(None)]
            interrupted = {"interrupted": {"approved_by": request.decided_by}}
            reopened = await _transition(
                conn,
                request_id,
                source=ApprovalStatus.EXECUTING,
                target=ApprovalStatus.PENDING,
                where=[*unsent, approvals.c.expires_at > now],
                result=interrupted,
                lease_until=None,
                decided_by=None,
                decided_at=None,
            )
            if not reopened:
                await _transition(
                    conn,
                    request_id,
                    source=ApprovalStatus.EXECUTING,
                    target=ApprovalStatus.EXPIRED,
                    where=unsent,
                    result=interrupted,
                    finished_at=now,
                    lease_until=None,
                )
            settled = await _fetch(conn, request_id)
        if settled is None:
            raise UnknownRequestError(request_id)
        return settled

    async def _journal(
        self,
        request_id: int,
        *,
        source: ApprovalStatus | frozenset[ApprovalStatus],
        where: Sequence[ColumnElement[bool]],
        **values: Any,
    ) -> ApprovalRequest | None:
        async with self._engine.begin() as conn:
            won = await _transition(
                conn,
                request_id,
                source=source,
                target=ApprovalStatus.EXECUTING,
                where=where,
                **values,
            )
            return await _fetch(conn, request_id) if won else None

    # ---- expiry and reminders ----

    async def expire_due(self, now: datetime) -> list[ApprovalRequest]:
        """Mark every pending request past its expiry as EXPIRED; return them."""
        statement = (
            update(approvals)
            .where(approvals.c.status == ApprovalStatus.PENDING, approvals.c.expires_at <= now)
            .values(status=ApprovalStatus.EXPIRED)
            .returning(approvals)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
            expired = [ApprovalRequest.model_validate(row, from_attributes=True) for row in rows]
            if expired:
                ids = [request.id for request in expired]
                await conn.execute(delete(claims).where(claims.c.request_id.in_(ids)))
        return sorted(expired, key=lambda request: request.id)

    async def remind_due(self, now: datetime) -> list[ApprovalRequest]:
        """Pending requests past half their time, not reminded yet: marked reminded, returned.

        Each is marked by a conditional update, so of several replicas exactly one reminds.
        """
        due = [
            request
            for request in await self.pending()
            if request.reminded_at is None
            and request.created_at + (request.expires_at - request.created_at) / 2
            <= now
            < request.expires_at
        ]
        reminded = []
        async with self._engine.begin() as conn:
            for request in due:
                result = await conn.execute(
                    update(approvals)
                    .where(
                        approvals.c.id == request.id,
                        approvals.c.status == ApprovalStatus.PENDING,
                        approvals.c.reminded_at.is_(None),
                    )
                    .values(reminded_at=now)
                )
                if result.rowcount == 1:
                    reminded.append(request)
        return reminded

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

    async def first_sighting(self, key: str, *, now: datetime, keep: timedelta) -> bool:
        """True once per `key` while it is kept: the caller that inserted it runs the request.

        Keys past their time are pruned now and then (a pruned key could only come back
        with a signature the window refuses anyway): one statement per request, not two.
        """
        try:
            async with self._engine.begin() as conn:
                if now >= self._next_prune:
                    self._next_prune = now + _PRUNE_EVERY
                    await conn.execute(
                        delete(seen_requests).where(seen_requests.c.expires_at <= now)
                    )
                await conn.execute(insert(seen_requests).values(key=key, expires_at=now + keep))
        except IntegrityError:
            return False
        return True
