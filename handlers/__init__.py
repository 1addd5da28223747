"""The one place that wires every listener to the app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import fallback
from handlers.approvals import ApprovalHandlers
from handlers.bindings import BindingHandlers
from handlers.home import HomeHandlers
from handlers.user_customer import UserCustomerHandlers


def register(app: AsyncApp, deps: Deps) -> None:
    BindingHandlers(deps).register(app)
    UserCustomerHandlers(deps).register(app)
    ApprovalHandlers(deps).register(app)
    HomeHandlers(deps).register(app)
    fallback.register(app)
