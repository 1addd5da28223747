"""Alembic's entry point: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from bot.store import metadata

connection = context.config.attributes["connection"]
# Batch mode lets a later migration alter a column on SQLite (copy and move the table).
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
