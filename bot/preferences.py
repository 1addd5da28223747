"""What each person chose for themselves (today: their language), in the store's database.

In the database rather than in memory so every replica knows a choice at once. The table is
defined on the store's `metadata`, so creating the schema creates it too; it knows nothing of
Slack.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from sqlalchemy import Column, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import UTCDateTime, metadata

user_preferences = Table(
    "user_preferences",
    metadata,
    Column("user_id", String(64), primary_key=True),
    # A catalog code such as `zh_CN`; NULL: follow the person's Slack language.
    Column("locale", String(16)),
    Column("updated_at", UTCDateTime, nullable=False),
)


class Preferences:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def locale(self, user_id: str) -> str | None:
        statement = select(user_preferences.c.locale).where(user_preferences.c.user_id == user_id)
        async with self._engine.connect() as conn:
            return (await conn.execute(statement)).scalar_one_or_none()

    async def set_locale(self, user_id: str, locale: str | None, *, now: datetime) -> None:
        """Choose a language (None: the Slack one again); one atomic upsert per click."""
        # Each dialect's module on first use: PostgreSQL's costs 2 MB that a SQLite one never needs.
        dialect = import_module(f"sqlalchemy.dialects.{self._engine.dialect.name}")
        statement = dialect.insert(user_preferences).values(
            user_id=user_id, locale=locale, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[user_preferences.c.user_id],
            set_={"locale": locale, "updated_at": now},
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)
