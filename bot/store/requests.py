"""Filing and deciding approval requests, each holding a claim on its records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.records import (
    DECISIONS,
    ApprovalRequest,
    ApprovalStatus,
    Decision,
    Deletion,
    Record,
    RecordsClaimed,
    UnknownRequestError,
    operation_of,
    record_name,
)
from bot.store.base import StoreBase, fetch, transition
from bot.store.schema import approvals, claims


class Requests(StoreBase):
    async def file(
        self,
        *,
        deletion: Deletion,
        requester: str,
        channel_id: str,
        snapshot: Sequence[Record],
        now: datetime,
        ttl: timedelta,
    ) -> ApprovalRequest:
        """File a request that claims each record of `snapshot`; RecordsClaimed if an open
        request has one."""
        if ttl <= timedelta(0):
            raise ValueError(f"ttl must be positive, got {ttl}")
        statement = (
            insert(approvals)
            .values(
                kind=deletion.kind,
                requester=requester,
                channel_id=channel_id,
                operation=operation_of(deletion),
                snapshot=[record.model_dump(mode="json") for record in snapshot],
                summary=deletion.summary,
                status=ApprovalStatus.PENDING,
                created_at=now,
                expires_at=now + ttl,
            )
            .returning(approvals)
        )
        records = [record_name(record.key) for record in snapshot]
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
            return await fetch(conn, request_id)

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
        if to not in DECISIONS:
            raise ValueError(f"a decision must be one of {sorted(DECISIONS)}, got {to!r}")
        # Writes come before the read in this transaction: a SQLite transaction that
        # reads first and then writes cannot wait for the lock and fails instead.
        async with self._engine.begin() as conn:
            won = await transition(
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
                await transition(
                    conn,
                    request_id,
                    source=ApprovalStatus.PENDING,
                    target=ApprovalStatus.EXPIRED,
                    where=[approvals.c.expires_at <= now],
                )
            request = await fetch(conn, request_id)
        if request is None:
            raise UnknownRequestError(request_id)
        return Decision(won=won, request=request)

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
