"""Requests already run, so a replayed request runs once across every replica."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from bot.store.base import StoreBase
from bot.store.schema import seen_requests

# How often one replica prunes the keys past their time.
_PRUNE_EVERY = timedelta(minutes=1)


class Replay(StoreBase):
    _next_prune = datetime.min.replace(tzinfo=UTC)

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
