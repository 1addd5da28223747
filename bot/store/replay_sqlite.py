"""Replay keys on a SQLite file, written where it costs the ack least.

Each request's key is written in the ack's path, and every hand-off to a thread there made
the ack wait: for the GIL, while answers were being built, and then for its turn in a busy
event loop. So a key is written at once, on the event loop, when the database is free: one
INSERT that commits by itself in about 50 µs and never waits (busy_timeout=0). When another
connection or replica holds the write lock, the key goes to a thread of its own that waits
for it, taking every key waiting by then in one transaction. The thread also prunes old
keys and checkpoints the write-ahead log (every CHECKPOINT_EVERY keys), so the event loop
never does either. While it checkpoints, keys wait for it: SQLite restarts the log only when
a write finds it wholly copied back, and keys written on the loop during a checkpoint that
came late (a loaded machine) left it never so, and it grew with every key.

The connection commits without an fsync (synchronous=NORMAL: safe against a crashed
process in WAL mode; a power cut may forget the last keys, reopening a replay window of
minutes). Through SQLAlchemy, with an fsync and a transaction per key, a key cost more CPU
than a whole lookup.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor

# Keys written at once between two checkpoints (by the keys' thread): about 3 MB of
# write-ahead log. Unchecked, the log grew by megabytes a second under load, and a
# checkpoint a minute later stalled every writer for seconds.
CHECKPOINT_EVERY = 256
_INSERT = "INSERT INTO seen_requests (key, expires_at) VALUES (?, ?)"
log = logging.getLogger("bot.store")
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class SqliteKeys:
    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._path, self._busy_timeout_ms = path, busy_timeout_ms
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="replay-keys")
        self._connection: sqlite3.Connection | None = None  # used by that thread only
        self._at_once: sqlite3.Connection | None = None  # used by the event loop only
        self._waiting: list[tuple[str, str, asyncio.Future[bool]]] = []
        self._prune_before: str | None = None
        self._writer: asyncio.Task[None] | None = None
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Future[None] | None = None

    async def first_sighting(self, key: str, expires_at: str, prune_before: str | None) -> bool:
        """True when `key` was not there and is now; `prune_before` drops older keys too."""
        if prune_before is None and not self._waiting and self._checkpointing is None:
            first = self._insert_at_once(key, expires_at)
            if first is not None:
                self._since_checkpoint += 1
                if self._since_checkpoint >= CHECKPOINT_EVERY and self._checkpointing is None:
                    self._start_checkpoint()
                return first
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

    def _start_checkpoint(self) -> None:
        self._since_checkpoint = 0
        loop = asyncio.get_running_loop()
        self._checkpointing = loop.run_in_executor(self._thread, self._checkpoint)
        self._checkpointing.add_done_callback(self._checkpointed)

    def _checkpoint(self) -> None:
        self._connect().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not done.cancelled() and (error := done.exception()) is not None:
            # The log only grows until the next one: a key is still refused or taken as ever.
            log.warning("checkpoint of the request keys failed", extra={"error": repr(error)})

    def _insert_at_once(self, key: str, expires_at: str) -> bool | None:
        """The sighting, when the database took the key without waiting; None when busy."""
        if self._at_once is None:
            connection = sqlite3.connect(self._path, isolation_level=None)
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are the thread's (they may fsync): never on the event loop.
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._at_once = connection
        try:
            self._at_once.execute(_INSERT, (key, expires_at))
        except sqlite3.IntegrityError:
            return False
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode in _BUSY:
                return None
            raise
        return True

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
                    connection.execute(_INSERT, (key, expires_at))
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
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        at_once, self._at_once = self._at_once, None
        if at_once is not None:
            at_once.close()
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, connection.close)
        self._thread.shutdown(wait=True)
