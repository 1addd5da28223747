"""`python -m bot.migrations`: bring the store at `DATABASE_URL` to the newest revision.

What a serving process runs as its child at start (`bot.migrations.upgrade_in_child`). It
says why it failed in one line on stderr, without the URL's password.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.migrations import SCHEMA_REFUSED, SchemaError
from bot.store import ApprovalStore


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
        shown = make_url(database_url).render_as_string(hide_password=True)
        cause = getattr(error, "orig", None) or error
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        print(f"{shown}: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
