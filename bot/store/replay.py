"""Requests already run, so a replayed request runs once across every replica.

One key is written per request, in the ack's path, so the write is made cheap where the
database allows: on a SQLite file the keys that arrive together go in one transaction on a
connection of its own (`bot.store.replay_sqlite`). A server database takes each key on the
store's own engine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from bot.store.base import SQLITE_BUSY_TIMEOUT_MS, StoreBase
from bot.store.replay_sqlite import SqliteKeys
from bot.store.schema import seen_requests

# An in-memory SQLite database cannot be opened twice: its keys go through the engine.
_NO_FILE = (None, "", ":memory:")
# How often one replica prunes the keys past their time.
_PRUNE_EVERY = timedelta(minutes=1)


class Replay(StoreBase):
    _next_prune = datetime.min.replace(tzinfo=UTC)
    _sqlite_keys: SqliteKeys | None = None

    async def first_sighting(self, key: str, *, now: datetime, keep: timedelta) -> bool:
        """True once per `key` while it is kept: the caller that inserted it runs the request.

        Keys past their time are pruned now and then (a pruned key could only come back
        with a signature the window refuses anyway): one statement per request, not two.
        """
        prune = now >= self._next_prune
        if prune:
            self._next_prune = now + _PRUNE_EVERY
        if self._engine.dialect.name == "sqlite" and self._engine.url.database not in _NO_FILE:
            return await self._first_sighting_sqlite(key, now=now, keep=keep, prune=prune)
        try:
            async with self._engine.begin() as conn:
                if prune:
                    await conn.execute(
                        delete(seen_requests).where(seen_requests.c.expires_at <= now)
                    )
                await conn.execute(insert(seen_requests).values(key=key, expires_at=now + keep))
        except IntegrityError:
            return False
        return True

    async def _first_sighting_sqlite(
        self, key: str, *, now: datetime, keep: timedelta, prune: bool
    ) -> bool:
        if self._sqlite_keys is None:
            path = str(self._engine.url.database)
            self._sqlite_keys = SqliteKeys(path, SQLITE_BUSY_TIMEOUT_MS)
        return await self._sqlite_keys.first_sighting(
            key, _stored(now), _stored(now + keep), prune=prune
        )

    async def close(self) -> None:
        if self._sqlite_keys is not None:
            await self._sqlite_keys.close()
            self._sqlite_keys = None
        await super().close()


def _stored(moment: datetime) -> str:
    # As SQLAlchemy keeps a UTC datetime in SQLite, so either side reads the other's rows.
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
