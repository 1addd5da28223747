"""The dependencies handlers call, built once per process from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bot import migrations
from bot.clients.bangwo8 import BindingsClient
from bot.clients.http import BearerAuth
from bot.clients.user_customer import Credentials, UserCustomerClient
from bot.deletions import Backends
from bot.locales import Locales
from bot.preferences import Preferences
from bot.respond import ResponseUrlPoster
from bot.roles import Roles
from bot.settings import Settings
from bot.store import ApprovalStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """Everything a handler may call, built once per process."""

    settings: Settings
    bindings: BindingsClient
    relations: UserCustomerClient
    store: ApprovalStore
    roles: Roles
    locales: Locales
    clock: Clock = field(default=utc_now)
    # How long a modal submit waits for the backend before acking "Saving…": inside Slack's
    # 3 s, with room for the ack's own trip.
    modal_budget: float = 2.0
    responses: ResponseUrlPoster = field(default_factory=ResponseUrlPoster)

    @property
    def backends(self) -> Backends:
        return Backends(self.bindings, self.relations)

    async def aclose(self) -> None:
        await self.bindings.aclose()
        await self.relations.aclose()
        await self.store.close()
        await self.responses.aclose()


def bangwo8_auth(settings: Settings) -> httpx.Auth:
    if settings.bangwo8_token is not None:
        return BearerAuth(settings.bangwo8_token.get_secret_value())
    password = settings.bangwo8_password.get_secret_value() if settings.bangwo8_password else ""
    return httpx.BasicAuth(settings.bangwo8_account or "", password)


def http_limits(settings: Settings) -> dict[str, Any]:
    """How many connections each backend client opens, and how long a request waits for one."""
    return {
        "max_connections": settings.http_max_connections,
        "queue_timeout": settings.http_queue_timeout,
    }


def user_customer_client(settings: Settings) -> UserCustomerClient:
    if settings.user_customer_token is not None:
        return UserCustomerClient(
            settings.user_customer_base_url,
            timeout=settings.http_timeout,
            token=settings.user_customer_token.get_secret_value(),
            **http_limits(settings),
        )
    password = settings.user_customer_password
    return UserCustomerClient(
        settings.user_customer_base_url,
        timeout=settings.http_timeout,
        credentials=Credentials(
            username=settings.user_customer_username or "",
            password=password.get_secret_value() if password else "",
            system=settings.user_customer_system,
        ),
        **http_limits(settings),
    )


async def open_deps(
    settings: Settings, *, clock: Clock = utc_now, migrate_in_child: bool = False
) -> Deps:
    """`migrate_in_child` keeps Alembic out of a long-lived process (`bot.migrations`)."""
    if migrate_in_child:
        await migrations.upgrade_in_child(settings.database_url)
    store = await ApprovalStore.open(settings.database_url, migrate=not migrate_in_child)
    return Deps(
        settings=settings,
        bindings=BindingsClient(
            settings.bangwo8_base_url,
            bangwo8_auth(settings),
            settings.http_timeout,
            **http_limits(settings),
        ),
        relations=user_customer_client(settings),
        store=store,
        roles=Roles(settings.viewers, settings.editors, settings.approvers),
        locales=Locales(Preferences(store.engine), settings.default_locale),
        clock=clock,
    )
