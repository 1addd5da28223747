"""The whole product on one machine: emulated Slack and backends around the real app, over HTTP.

Tests, the demo and the benchmarks start it the same way, so all of them exercise the same
signing, HTTP paths and Web API calls as production.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.app import build_app
from bot.deps import Deps, open_deps
from bot.sandbox.bangwo8 import Bangwo8Emulator
from bot.sandbox.http import serve_asgi, serve_asgi_together
from bot.sandbox.slack import SlackEmulator
from bot.sandbox.user_customer import UserCustomerEmulator
from bot.server import http_app
from bot.settings import Settings
from handlers.sweeper import Sweeper

AGENT = "U0AGENT"
EDITOR = "U0EDITOR"
APPROVER = "U0APPROVER"
APPROVER2 = "U0APPROVER2"
VIEWER = "U0VIEWER"
# Chinese-speaking people (Slack locale zh-CN).
AGENT_ZH = "U0AGENTZH"
APPROVER_ZH = "U0APPROVERZH"
APPROVAL_CHANNEL = "C0APPROVALS"


class SettableClock:
    """The app's clock, which tests move instead of sleeping; `ticking` also follows real time."""

    def __init__(self, start: datetime | None = None, *, ticking: bool = False) -> None:
        self.now = start or datetime.now(UTC)
        self._started = time.monotonic() if ticking else None

    def __call__(self) -> datetime:
        if self._started is None:
            return self.now
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sandbox:
    slack: SlackEmulator
    bangwo8: Bangwo8Emulator
    user_customer: UserCustomerEmulator
    settings: Settings
    deps: Deps
    app: AsyncApp
    app_base_url: str
    clock: SettableClock
    # Tests sweep when they choose (`await sandbox.sweeper.sweep()`); `serve` sweeps on a timer.
    sweeper: Sweeper


def sandbox_settings(
    *,
    slack: SlackEmulator,
    bangwo8_url: str,
    user_customer_url: str,
    database: Path,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": slack.signing_secret,
        "slack_api_url": slack.api_url,
        "bangwo8_base_url": bangwo8_url,
        "bangwo8_account": "agent@example.com",
        "bangwo8_password": "secret",
        "user_customer_base_url": user_customer_url,
        "user_customer_token": "uc-static-token",
        "user_customer_secret": None,
        "database_url": f"sqlite+aiosqlite:///{database}",
        "approval_channel": APPROVAL_CHANNEL,
        "editors": frozenset({AGENT, EDITOR, AGENT_ZH}),
        "approvers": frozenset({APPROVER, APPROVER2, APPROVER_ZH}),
        "viewers": frozenset(),
        "http_timeout": 2.0,
    }
    values.update(overrides)
    # Settings read the environment too; the sandbox must not pick up an operator's .env.
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_sandbox(
    database: Path,
    *,
    seed: bool = True,
    extra_relations: int = 0,
    clock: SettableClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Sandbox]:
    clock = clock or SettableClock()
    slack = SlackEmulator()
    bangwo8 = Bangwo8Emulator()
    user_customer = UserCustomerEmulator()
    if seed:
        bangwo8.seed_sample()
        user_customer.seed_sample(extra_rows=extra_relations)
    async with AsyncExitStack() as stack:
        slack.base_url, bangwo8_url, user_customer_url = await stack.enter_async_context(
            serve_asgi_together(slack.app, bangwo8.app, user_customer.app)
        )
        settings = sandbox_settings(
            slack=slack,
            bangwo8_url=bangwo8_url,
            user_customer_url=user_customer_url,
            database=database,
            **overrides,
        )
        deps = await open_deps(settings, clock=clock)
        stack.push_async_callback(deps.aclose)
        app = build_app(settings, deps)
        app_base_url = await stack.enter_async_context(serve_asgi(http_app(app, deps)))
        slack.app_url = f"{app_base_url}/slack/events"
        sweeper = Sweeper(deps, app.client)
        yield Sandbox(
            slack, bangwo8, user_customer, settings, deps, app, app_base_url, clock, sweeper
        )
