"""The App Home tab, redrawn whenever someone opens it or picks a language on it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import LANGUAGE_ACTION, home_view
from bot.deps import Deps
from bot.i18n import parse_choice
from bot.roles import Role
from bot.store import ApprovalRequest
from handlers.approvals.listeners import ApprovalHandlers
from handlers.context import Invocation


class HomeHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def register(self, app: AsyncApp) -> None:
        app.event("app_home_opened")(self.on_home_opened)
        app.action(LANGUAGE_ACTION)(self.on_language)

    async def on_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        await self.publish(client, event["user"])

    async def on_language(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        user, client = here.user, here.client
        try:
            choice = parse_choice(str((action.get("selected_option") or {}).get("value")))
        except ValueError:
            # Not a value our select offers: redraw the Home tab as it really is.
            await self.publish(client, user)
            return
        await self.deps.locales.choose(user, choice, now=self.deps.clock())
        await self.publish(client, user)

    async def publish(self, client: AsyncWebClient, user: str) -> None:
        t = await self.deps.locales.messages(client, user)
        roles = [role for role in Role if self.deps.roles.allows(user, role)]
        pending: list[ApprovalRequest] = []
        if Role.APPROVER in roles:
            await ApprovalHandlers(self.deps).expire_due(client)
            pending = await self.deps.store.pending()
        choice = await self.deps.locales.choice(user)
        await client.views_publish(user_id=user, view=home_view(t, roles, pending, choice=choice))
