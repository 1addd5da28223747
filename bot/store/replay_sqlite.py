"""Replay keys on a SQLite file, written where it costs the ack least.

Each request's key is written in the ack's path, and every hand-off to a thread there made
the ack wait: for the GIL, while answers were being built, and then for its turn in a busy
event loop. So a key is written at once, on the event loop, when the database is free: one
INSERT that commits by itself in about 50 µs and never waits (busy_timeout=0). When another
connection or replica holds the write lock, the key goes to a thread of its own that waits
for it, taking every key waiting by then in one transaction. The thread also prunes old
keys and checkpoints the write-ahead log (every CHECKPOINT_EVERY keys), so the event loop
never does either, and no key waits for a prune (a key past its time is taken over as new).

The connection commits without an fsync (synchronous=NORMAL: safe against a crashed
process in WAL mode; a power cut may forget the last keys, reopening a replay window of
minutes). Through SQLAlchemy, with an fsync and a transaction per key, a key cost more CPU
than a whole lookup.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Keys written at once between two checkpoints (by the keys' thread): about 3 MB of
# write-ahead log. Unchecked, the log grew by megabytes a second under load, and a
# checkpoint a minute later stalled every writer for seconds.
CHECKPOINT_EVERY = 256
# A key past its time counts as new: its row is taken over, so pruning never has to come
# first and can run on the keys' thread whenever it gets there.
_INSERT = (
    "INSERT INTO seen_requests (key, expires_at) VALUES (?, ?) ON CONFLICT (key) "
    "DO UPDATE SET expires_at = excluded.expires_at WHERE seen_requests.expires_at <= ?"
)
_PRUNE = "DELETE FROM seen_requests WHERE expires_at <= ?"
log = logging.getLogger("bot.store")
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
Row = tuple[str, str, str]  # key, expires at, now


class SqliteKeys:
    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._path, self._busy_timeout_ms = path, busy_timeout_ms
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="replay-keys")
        self._connection: sqlite3.Connection | None = None  # used by that thread only
        self._at_once: sqlite3.Connection | None = None  # used by the event loop only
        self._waiting: list[tuple[Row, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Future[tuple[int, int, int]] | None = None
        self._holding = False  # keys wait for the checkpoint running now
        self._chores: set[asyncio.Future[None]] = set()

    async def first_sighting(self, key: str, now: str, expires_at: str, *, prune: bool) -> bool:
        """True when `key` was not there (or past its time) and is now; `prune` drops the
        keys past their time too, on the keys' thread, without this key waiting for it."""
        if prune:
            self._chore(self._prune, now)
        row = (key, expires_at, now)
        if not self._waiting and not self._holding:
            first = self._insert_at_once(row)
            if first is not None:
                self._since_checkpoint += 1
                if self._since_checkpoint >= CHECKPOINT_EVERY and self._checkpointing is None:
                    self._start_checkpoint(hold=False)
                return first
        sighted: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, sighted))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        return await sighted

    async def _write_waiting(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                rows = [row for row, _ in batch]
                try:
                    firsts = await loop.run_in_executor(self._thread, self._insert, rows)
                except (sqlite3.Error, OSError) as error:  # each waiting request fails with it
                    for _, sighted in batch:
                        if not sighted.done():
                            sighted.set_exception(error)
                    continue
                for (_, sighted), first in zip(batch, firsts, strict=True):
                    if not sighted.done():
                        sighted.set_result(first)
        finally:
            self._writer = None

    def _start_checkpoint(self, *, hold: bool) -> None:
        """Copy the log back on the keys' thread. Keys written meanwhile (on the loop) leave it
        not wholly copied, and SQLite restarts a log only when a write finds it so: then one
        more checkpoint runs at once with keys held for it, which copies only what they
        added. On a quiet file the first one is enough and no key ever waits."""
        self._since_checkpoint = 0
        self._holding = hold
        loop = asyncio.get_running_loop()
        self._checkpointing = loop.run_in_executor(self._thread, self._checkpoint)
        self._checkpointing.add_done_callback(self._checkpointed)

    def _checkpoint(self) -> tuple[int, int, int]:
        busy, in_log, copied = self._connect().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, in_log, copied

    def _checkpointed(self, done: asyncio.Future[tuple[int, int, int]]) -> None:
        self._checkpointing = None
        held, self._holding = self._holding, False
        if done.cancelled():
            return
        if (error := done.exception()) is not None:
            # The log only grows until the next one: a key is still refused or taken as ever.
            log.warning("checkpoint of the request keys failed", extra={"error": repr(error)})
            return
        _, in_log, copied = done.result()
        written_meanwhile = self._since_checkpoint > 0
        if (written_meanwhile or copied < in_log) and not held:
            self._start_checkpoint(hold=True)

    def _chore(self, chore: Callable[[str], None], argument: str) -> None:
        done = asyncio.get_running_loop().run_in_executor(self._thread, chore, argument)
        self._chores.add(done)
        done.add_done_callback(self._chore_done)

    def _chore_done(self, done: asyncio.Future[None]) -> None:
        self._chores.discard(done)
        if not done.cancelled() and (error := done.exception()) is not None:
            # Old keys stay until the next prune; they are taken over as they come back.
            log.warning("pruning the request keys failed", extra={"error": repr(error)})

    def _prune(self, now: str) -> None:
        with self._connect() as connection:
            connection.execute(_PRUNE, (now,))

    def _insert_at_once(self, row: Row) -> bool | None:
        """The sighting, when the database took the key without waiting; None when busy."""
        if self._at_once is None:
            connection = sqlite3.connect(self._path, isolation_level=None)
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are the thread's (they may fsync): never on the event loop.
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._at_once = connection
        try:
            return self._at_once.execute(_INSERT, row).rowcount == 1
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode in _BUSY:
                return None
            raise

    def _insert(self, rows: list[Row]) -> list[bool]:
        connection = self._connect()
        with connection:  # one transaction
            return [connection.execute(_INSERT, row).rowcount == 1 for row in rows]

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
        pending: list[asyncio.Future[Any]] = [*self._chores]
        if self._checkpointing is not None:
            pending.append(self._checkpointing)
        if pending:
            await asyncio.wait(pending)
        at_once, self._at_once = self._at_once, None
        if at_once is not None:
            at_once.close()
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, connection.close)
        self._thread.shutdown(wait=True)
