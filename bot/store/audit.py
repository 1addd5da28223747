"""The audit log: every change, decision and refused attempt, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from bot.records import AuditEntry
from bot.store.base import StoreBase
from bot.store.schema import audit_log


class Audit(StoreBase):
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
