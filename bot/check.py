"""`support-bot check`, and what `serve` checks before it starts: can the bot work at all?

Every probe runs, concurrently; each gives one line, `ok` or the problem and its fix.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.clients.bangwo8 import BindingsClient
from bot.clients.errors import AuthenticationFailed, BackendError, ContactNotFound
from bot.clients.user_customer import UserCustomerClient
from bot.deps import bangwo8_auth, user_customer_client
from bot.logs import one_line_cause
from bot.models import AccountSource, RelationQuery
from bot.settings import ConfigurationError, Settings, load_settings
from bot.store import ApprovalStore, shown_database_url

Probe = Callable[[Settings], Awaitable[str]]


class CheckFailed(Exception):
    """One dependency is not usable; the message says what to fix.

    `refused` is False when it could only not be reached (it may come back by itself): then
    `serve` starts anyway and keeps trying, while a refused credential stops it.
    """

    def __init__(self, message: str, *, refused: bool = True) -> None:
        super().__init__(message)
        self.refused = refused


class CannotServe(Exception):
    """`serve` cannot start; the message is one line saying why and what to fix."""


@dataclass(frozen=True)
class Finding:
    name: str
    detail: str
    problem: CheckFailed | None = None

    @property
    def line(self) -> str:
        if self.problem is None:
            return f"{self.name}: ok ({self.detail})"
        return f"{self.name}: FAILED: {self.problem}"


def main(out: TextIO | None = None) -> int:
    """`support-bot check`: 0 when all is well, 2 for configuration, 1 for a dependency."""
    out = out or sys.stdout
    try:
        settings = load_settings()
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"configuration: FAILED: {problem}", file=out)
        print("store, backends, Slack: not checked until the configuration is fixed", file=out)
        return 2
    return asyncio.run(run_check(settings, out))


async def run_check(settings: Settings, out: TextIO | None = None) -> int:
    """Print one line per dependency, `ok` or the exact problem; 1 if any failed."""
    out = out or sys.stdout
    findings = await probe_all(settings, _probes(settings))
    print("configuration: ok", file=out)
    for finding in findings:
        print(finding.line, file=out)
    return 1 if any(f.problem for f in findings) else 0


async def startup_findings(settings: Settings) -> list[Finding]:
    """What `serve` checks before it starts: every dependency that is not ok.

    Only a refused one (`problem.refused`) keeps it from starting: a backend or Slack that
    cannot be reached may come back, and the bot says so per request meanwhile.
    """
    probes = _probes(settings, serving=True)
    return [f for f in await probe_all(settings, probes) if f.problem is not None]


def _probes(settings: Settings, *, serving: bool = False) -> list[tuple[str, Probe]]:
    # Serving applies the migrations in a child, which says what a schema problem is: the
    # serving process itself never loads Alembic to look at the schema (bot.migrations).
    store: list[tuple[str, Probe]] = (
        [("store", _store_reachable)] if serving else [("schema", _schema), ("store", _store)]
    )
    probes: list[tuple[str, Probe]] = [
        *store,
        ("bangwo8", _bangwo8),
        ("UserCustomer", _user_customer),
        ("Slack", _slack_bot_token),
    ]
    if settings.slack_app_token is not None:
        probes.append(("Slack Socket Mode", _slack_app_token))
    return probes


async def probe_all(settings: Settings, probes: list[tuple[str, Probe]]) -> list[Finding]:
    async def run(name: str, probe: Probe) -> Finding:
        try:
            return Finding(name, await probe(settings))
        except CheckFailed as problem:
            return Finding(name, "", problem)

    return list(await asyncio.gather(*(run(name, probe) for name, probe in probes)))


# ---- the store --------------------------------------------------------------------------


@asynccontextmanager
async def _opened_store(settings: Settings) -> AsyncIterator[ApprovalStore]:
    """The store as it is: a check changes nothing (`serve` is what applies migrations).

    Opening connects lazily, so an unreachable database shows on the first query: both are
    the same one line.
    """
    try:
        async with asyncio.timeout(settings.http_timeout):
            store = await ApprovalStore.open(settings.database_url, migrate=False)
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        raise _unreachable(settings, error) from error
    try:
        yield store
    except (SQLAlchemyError, OSError) as error:
        raise _unreachable(settings, error) from error
    finally:
        await store.close()


def _unreachable(settings: Settings, error: BaseException) -> CheckFailed:
    return CheckFailed(
        f"cannot open DATABASE_URL ({shown_database_url(settings.database_url)}):"
        f" {one_line_cause(error)}. Check that the"
        " database exists and is reachable, and the user and password in the URL"
    )


async def _store(settings: Settings) -> str:
    async with _opened_store(settings) as store:
        return "; ".join(await _store_facts(store))


async def _store_reachable(settings: Settings) -> str:
    async with _opened_store(settings) as store, asyncio.timeout(settings.http_timeout):
        await store.reach()
    return "reachable"


async def _schema(settings: Settings) -> str:
    """Whether the store's schema is the one this version migrates to (serve applies it)."""
    try:
        async with _opened_store(settings) as store, asyncio.timeout(settings.http_timeout):
            current, newest = await store.schema_revision()
    except (CheckFailed, TimeoutError) as error:
        # The "store" line says why, once; this one need not stop `serve` a second time.
        raise CheckFailed("not checked: the store cannot be opened", refused=False) from error
    if current == newest:
        return f"current, revision {current}"
    from bot.migrations.revisions import known

    if current is None or known(current):
        return (
            f"NOT current: at revision {current or 'none'}; serve migrates it to {newest} at start"
        )
    raise CheckFailed(
        f"the database is at revision {current}, which this version does not know"
        f" (it needs {newest}): it was migrated by a newer version of support-bot"
    )


async def _store_facts(store: ApprovalStore) -> list[str]:
    """What `check` says about a store it could open; each further fact is one more item."""
    current, newest = await store.schema_revision()  # the first query: is it reachable
    if current != newest:
        return ["reachable"]  # the "schema" line says what serve will do about it
    return [f"{len(await store.pending())} pending approval requests"]


# ---- the backends -----------------------------------------------------------------------


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
            f"{error.sentence} (BANGWO8_BASE_URL={settings.bangwo8_base_url})", refused=False
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
            f"{error.sentence} (USER_CUSTOMER_BASE_URL={settings.user_customer_base_url})",
            refused=False,
        ) from error
    finally:
        await client.aclose()
    return f"{page.total_records} relations"


# ---- Slack ------------------------------------------------------------------------------


async def _slack_bot_token(settings: Settings) -> str:
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(settings.http_timeout))
    answer = await _ask_slack(
        settings,
        "SLACK_BOT_TOKEN",
        client.auth_test(token=settings.slack_bot_token.get_secret_value()),
    )
    return f"team {answer.get('team')}, bot user {answer.get('user_id')}"


async def _slack_app_token(settings: Settings) -> str:
    assert settings.slack_app_token is not None
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(settings.http_timeout))
    # Issues a websocket URL the bot does not use: that proves the token may open connections.
    await _ask_slack(
        settings,
        "SLACK_APP_TOKEN",
        client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value()),
    )
    return "SLACK_APP_TOKEN may open connections"


async def _ask_slack(
    settings: Settings, variable: str, call: Awaitable[AsyncSlackResponse]
) -> AsyncSlackResponse:
    try:
        return await call
    except SlackApiError as error:
        answer = error.response.get("error")
        raise CheckFailed(
            f"Slack refused {variable} ({answer}); {_SLACK_FIXES[variable]}"
        ) from error
    except (OSError, TimeoutError) as error:
        raise CheckFailed(
            f"cannot reach SLACK_API_URL={settings.slack_api_url} ({one_line_cause(error)})",
            refused=False,
        ) from error


_SLACK_FIXES = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
    "SLACK_APP_TOKEN": (
        "create an app-level token with connections:write under Basic Information, and turn"
        " Socket Mode on"
    ),
}
