"""The store's schema as Alembic migrations, applied once at start under a lock.

Replicas that start together must not race to create or alter tables: on PostgreSQL the
migration runs under a transaction-scoped advisory lock, on SQLite under an exclusive file
lock next to the database (SQLite has no advisory locks, and `BEGIN EXCLUSIVE` cannot cover
the switch to WAL).

Alembic itself (with Mako and Pygments, about 11 MB) is loaded only by `revisions`: a serving
process applies the migrations in a child (`upgrade_in_child`, running `python -m
bot.migrations`), so it never holds them.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import URL

# The revision whose tables the store created before it had migrations.
BASELINE = "0001"
# How the child says the database is at a revision this code does not know.
SCHEMA_REFUSED = 3


class SchemaError(Exception):
    """The database's schema cannot be brought to this version's; the message says why."""


class MigrationFailed(Exception):
    """The child could not bring the schema to this version's; the message is its one line."""


async def upgrade_in_child(database_url: str) -> None:
    """Bring the schema to the newest revision in a child process, under the same lock.

    The URL travels in the child's environment, never on its command line (`ps` shows that).
    Raises SchemaError for a database migrated by a newer version, MigrationFailed otherwise.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.migrations",
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, said = await child.communicate()
    except asyncio.CancelledError:
        # A stop signal while migrating: the child is stopped with us, its lock released.
        child.terminate()
        await child.wait()
        raise
    if child.returncode == 0:
        return
    line = said.decode(errors="replace").strip().splitlines()
    reason = line[-1] if line else f"exit status {child.returncode}"
    if child.returncode == SCHEMA_REFUSED:
        raise SchemaError(reason)
    raise MigrationFailed(f"cannot migrate the store: {reason}")


@asynccontextmanager
async def schema_lock(url: URL) -> AsyncIterator[None]:
    """Hold an exclusive lock on a SQLite file database's lock file; nothing for others.

    PostgreSQL is locked inside the migration's own transaction (see `upgrade`).
    """
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    path = Path(database).with_name(Path(database).name + ".lock")
    with path.open("a") as handle:
        # flock blocks: wait in a thread so the event loop keeps running.
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
