"""The execution journal: APPROVED → EXECUTING → sent → an outcome, attempt by attempt."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from bot.records import (
    OUTCOMES,
    ApprovalRequest,
    ApprovalStatus,
    Interrupted,
    Result,
    UnknownRequestError,
    result_json,
)
from bot.store.base import StoreBase, fetch, transition
from bot.store.schema import approvals


class Journal(StoreBase):
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
        result: Result,
        now: datetime,
    ) -> bool:
        """Record the outcome of an attempt; False if that attempt no longer owns the request."""
        if to not in OUTCOMES:
            raise ValueError(f"an outcome must be one of {sorted(OUTCOMES)}, got {to!r}")
        async with self._engine.begin() as conn:
            return await transition(
                conn,
                request_id,
                source=ApprovalStatus.EXECUTING,
                target=to,
                where=[approvals.c.attempt == attempt],
                result=result_json(result),
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
            interrupted = result_json(Interrupted(approved_by=request.decided_by))
            reopened = await transition(
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
                await transition(
                    conn,
                    request_id,
                    source=ApprovalStatus.EXECUTING,
                    target=ApprovalStatus.EXPIRED,
                    where=unsent,
                    result=interrupted,
                    finished_at=now,
                    lease_until=None,
                )
            settled = await fetch(conn, request_id)
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
            won = await transition(
                conn,
                request_id,
                source=source,
                target=ApprovalStatus.EXECUTING,
                where=where,
                **values,
            )
            return await fetch(conn, request_id) if won else None
