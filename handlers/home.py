"""The App Home tab, redrawn whenever someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view
from bot.deps import Deps
from bot.roles import Role
from bot.store import ApprovalRequest
from handlers.approvals import ApprovalHandlers


class HomeHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def register(self, app: AsyncApp) -> None:
        app.event("app_home_opened")(self.on_home_opened)

    async def on_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        user = event["user"]
        roles = [role for role in Role if self.deps.roles.allows(user, role)]
        pending: list[ApprovalRequest] = []
        if Role.APPROVER in roles:
            await ApprovalHandlers(self.deps).expire_due(client)
            pending = await self.deps.store.pending()
        await client.views_publish(user_id=user, view=home_view(roles, pending))
