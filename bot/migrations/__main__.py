"""`python -m bot.migrations`: bring the store at `DATABASE_URL` to the newest revision.

What a serving process runs as its child at start (`bot.migrations.upgrade_in_child`). It
says why it failed in one line on stderr, without the URL's password.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.logs import one_line_cause
from bot.migrations import SCHEMA_REFUSED, SchemaError
from bot.store import ApprovalStore, shown_database_url


async def _upgrade(database_url: str) -> None:
    store = await ApprovalStore.open(database_url, migrate=True)
    await store.close()


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    try:
        asyncio.run(_upgrade(database_url))
    except SchemaError as problem:
        print(problem, file=sys.stderr)
        return SCHEMA_REFUSED
    except (SQLAlchemyError, OSError, ValueError) as error:
        print(f"{shown_database_url(database_url)}: {one_line_cause(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
