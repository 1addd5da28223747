"""The store's schema as Alembic migrations, applied once at start under a lock.

Replicas that start together must not race to create or alter tables: on PostgreSQL the
migration runs under a transaction-scoped advisory lock, on SQLite under an exclusive file
lock next to the database (SQLite has no advisory locks, and `BEGIN EXCLUSIVE` cannot cover
the switch to WAL). Databases created before migrations existed are stamped at the first
revision, whose tables they already have, and upgraded from there.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL

_HERE = Path(__file__).resolve().parent
# The revision whose tables the store created before it had migrations.
BASELINE = "0001"
# Any constant works; it only has to be the same in every replica of the bot.
_ADVISORY_LOCK = 0x5B07_5C4E


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


class SchemaError(Exception):
    """The database's schema cannot be brought to this version's; the message says why."""


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def known(revision: str) -> bool:
    """Whether this code has the revision (a database migrated by a newer version has not)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to `revision`; the caller holds the lock (see `schema_lock`)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    config = _config(connection)
    tables = set(inspect(connection).get_table_names())
    if "approval_requests" in tables and "alembic_version" not in tables:
        command.stamp(config, BASELINE)
    found = current(connection)
    if found is not None and not known(found):
        raise SchemaError(
            f"the database is at schema revision {found}, which this version does not know"
            f" (it needs {head()}): it was migrated by a newer version of support-bot"
        )
    command.upgrade(config, revision)


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
