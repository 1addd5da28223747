"""Replay keys on a SQLite file: the keys that arrive together are written in one transaction.

A burst of requests is a burst of keys, each in the ack's path. One connection of its own,
used by one thread of its own, takes every key waiting when it is free in one transaction,
so 50 requests arriving together cost the event loop two hand-offs to that thread, not 50
(each of which waited for the GIL behind the answers being built meanwhile).

The connection commits without an fsync (synchronous=NORMAL: safe against a crashed
process in WAL mode; a power cut may forget the last keys, reopening a replay window of
minutes). Through SQLAlchemy, with an fsync and a transaction per key, a key cost more CPU
than a whole lookup.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor


class SqliteKeys:
    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._path, self._busy_timeout_ms = path, busy_timeout_ms
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="replay-keys")
        self._connection: sqlite3.Connection | None = None  # used by that thread only
        self._waiting: list[tuple[str, str, asyncio.Future[bool]]] = []
        self._prune_before: str | None = None
        self._writer: asyncio.Task[None] | None = None

    async def first_sighting(self, key: str, expires_at: str, prune_before: str | None) -> bool:
        """True when `key` was not there and is now; `prune_before` drops older keys too."""
        sighted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, expires_at, sighted))
        if prune_before is not None:
            self._prune_before = prune_before
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        return await sighted

    async def _write_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                prune, self._prune_before = self._prune_before, None
                rows = [(key, expires_at) for key, expires_at, _ in batch]
                try:
                    firsts = await loop.run_in_executor(self._thread, self._insert, rows, prune)
                except (sqlite3.Error, OSError) as error:  # each waiting request fails with it
                    for _, _, sighted in batch:
                        if not sighted.done():
                            sighted.set_exception(error)
                    continue
                for (_, _, sighted), first in zip(batch, firsts, strict=True):
                    if not sighted.done():
                        sighted.set_result(first)
        finally:
            self._writer = None

    def _insert(self, rows: list[tuple[str, str]], prune_before: str | None) -> list[bool]:
        connection = self._connect()
        firsts: list[bool] = []
        with connection:  # one transaction; a duplicate key fails its statement only
            if prune_before is not None:
                connection.execute(
                    "DELETE FROM seen_requests WHERE expires_at <= ?", (prune_before,)
                )
            for key, expires_at in rows:
                try:
                    connection.execute(
                        "INSERT INTO seen_requests (key, expires_at) VALUES (?, ?)",
                        (key, expires_at),
                    )
                except sqlite3.IntegrityError:
                    firsts.append(False)
                else:
                    firsts.append(True)
        return firsts

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
        return self._connection

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, connection.close)
        self._thread.shutdown(wait=True)
