"""Requests already run, so a replayed request runs once across every replica."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.schema import seen_requests


class Replay(StoreBase):
    async def first_sighting(self, key: str, *, now: datetime, keep: timedelta) -> bool:
        """True once per `key` while it is kept: the caller that inserted it runs the request.

        Keys past their time are pruned first, so the table only holds the replay window.
        """
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(seen_requests).where(seen_requests.c.expires_at <= now))
                await conn.execute(insert(seen_requests).values(key=key, expires_at=now + keep))
        except IntegrityError:
            return False
        return True
