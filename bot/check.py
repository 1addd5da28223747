"""`support-bot check`: is the configuration whole, and can the bot reach what it needs?"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import make_url

from bot.clients.bangwo8 import BindingsClient
from bot.clients.errors import AuthenticationFailed, BackendError, ContactNotFound
from bot.clients.user_customer import UserCustomerClient
from bot.deps import bangwo8_auth, user_customer_client
from bot.migrations import SchemaError, known
from bot.models import AccountSource, RelationQuery
from bot.settings import Settings
from bot.store import ApprovalStore

Probe = Callable[[], Awaitable[str]]


async def run_check(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Print one line per dependency, `ok` or the exact problem; exit 1 if any failed."""
    probes: list[tuple[str, Probe]] = [
        # Before "store", whose open applies the migrations.
        ("schema", lambda: _schema(settings)),
        ("store", lambda: _store(settings)),
        ("bangwo8", lambda: _bangwo8(settings)),
        ("UserCustomer", lambda: _user_customer(settings)),
        ("Slack", lambda: _slack(settings)),
    ]
    failures = 0
    print("configuration: ok", file=out)
    for name, probe in probes:
        try:
            detail = await probe()
        except CheckFailed as problem:
            failures += 1
            print(f"{name}: FAILED: {problem}", file=out)
        else:
            print(f"{name}: ok ({detail})", file=out)
    return 1 if failures else 0


class CheckFailed(Exception):
    """One dependency is not usable; the message says what to fix."""


async def _store(settings: Settings) -> str:
    try:
        store = await ApprovalStore.open(settings.database_url)
    except SchemaError as problem:
        raise CheckFailed(str(problem)) from problem
    try:
        if not await store.ping():
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
            raise CheckFailed(f"cannot query DATABASE_URL ({shown})")
        return f"{len(await store.pending())} pending approval requests"
    finally:
        await store.close()


async def _schema(settings: Settings) -> str:
    """Whether the store's schema is the one this version migrates to (serve applies it)."""
    store = await ApprovalStore.open(settings.database_url, migrate=False)
    try:
        current, newest = await store.schema_revision()
    finally:
        await store.close()
    if current == newest:
        return f"current, revision {current}"
    if current is None or known(current):
        return (
            f"NOT current: at revision {current or 'none'}; serve migrates it to {newest} at start"
        )
    raise CheckFailed(
        f"the database is at revision {current}, which this version does not know"
        f" (it needs {newest}): it was migrated by a newer version of support-bot"
    )


async def _bangwo8(settings: Settings) -> str:
    client = BindingsClient(
        settings.bangwo8_base_url, bangwo8_auth(settings), settings.http_timeout
    )
    try:
        # Any read proves reach and credentials; a contact that does not exist is a fine answer.
        await client.lookup(AccountSource.DINGDING, cid=1)
    except ContactNotFound:
        pass
    except AuthenticationFailed as error:
        which = "BANGWO8_TOKEN" if settings.bangwo8_token else "BANGWO8_ACCOUNT / BANGWO8_PASSWORD"
        raise CheckFailed(f"{error.sentence} Check {which}.") from error
    except BackendError as error:
        raise CheckFailed(
            f"{error.sentence} (BANGWO8_BASE_URL={settings.bangwo8_base_url})"
        ) from error
    finally:
        await client.aclose()
    return settings.bangwo8_base_url


async def _user_customer(settings: Settings) -> str:
    client: UserCustomerClient = user_customer_client(settings)
    try:
        page = await client.list(RelationQuery(size=1))
    except AuthenticationFailed as error:
        which = (
            "USER_CUSTOMER_TOKEN"
            if settings.user_customer_token
            else "USER_CUSTOMER_USERNAME / USER_CUSTOMER_PASSWORD"
        )
        raise CheckFailed(f"{error.sentence} Check {which}.") from error
    except BackendError as error:
        raise CheckFailed(
            f"{error.sentence} (USER_CUSTOMER_BASE_URL={settings.user_customer_base_url})"
        ) from error
    finally:
        await client.aclose()
    return f"{page.total_records} relations"


async def _slack(settings: Settings) -> str:
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        raise CheckFailed(
            f"auth.test answered {error.response.get('error')}; check SLACK_BOT_TOKEN"
        ) from error
    except OSError as error:
        raise CheckFailed(
            f"cannot reach SLACK_API_URL={settings.slack_api_url}: {error}"
        ) from error
    return f"team {answer.get('team')}, bot user {answer.get('user_id')}"
