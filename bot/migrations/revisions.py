"""Alembic's side of the schema: the revisions this code knows, and applying them.

Databases created before migrations existed are stamped at the first revision, whose tables
they already have, and upgraded from there. On PostgreSQL the upgrade runs under a
transaction-scoped advisory lock (SQLite's file lock is `bot.migrations.schema_lock`).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

from bot.migrations import BASELINE, SchemaError

_HERE = Path(__file__).resolve().parent
# Any constant works; it only has to be the same in every replica of the bot.
_ADVISORY_LOCK = 0x5B07_5C4E


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


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
