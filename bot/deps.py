"""The dependencies handlers call, built once per process from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bot.clients.bangwo8 import BindingsClient
from bot.clients.http import BearerAuth
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
    store: ApprovalStore
    roles: Roles
    clock: Clock = field(default=utc_now)

    async def aclose(self) -> None:
        await self.bindings.aclose()
        await self.store.close()


def bangwo8_auth(settings: Settings) -> httpx.Auth:
    if settings.bangwo8_token is not None:
        return BearerAuth(settings.bangwo8_token.get_secret_value())
    password = settings.bangwo8_password.get_secret_value() if settings.bangwo8_password else ""
    return httpx.BasicAuth(settings.bangwo8_account or "", password)


async def open_deps(settings: Settings, *, clock: Clock = utc_now) -> Deps:
    return Deps(
        settings=settings,
        bindings=BindingsClient(
            settings.bangwo8_base_url, bangwo8_auth(settings), settings.http_timeout
        ),
        store=await ApprovalStore.open(settings.database_url),
        roles=Roles(settings.viewers, settings.editors, settings.approvers),
        clock=clock,
    )
