"""Slack listeners, one package per feature; `handlers.register` wires them all to the app.

Nothing is imported here at module level: a feature's pure modules (grammar, views) load
without the listeners, the store or the HTTP clients (`tests/test_layers.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """The one place that wires every listener to the app."""
    from handlers import fallback
    from handlers.approvals.listeners import ApprovalHandlers
    from handlers.bindings.listeners import BindingHandlers
    from handlers.home import HomeHandlers
    from handlers.user_customer.listeners import UserCustomerHandlers

    BindingHandlers(deps).register(app)
    UserCustomerHandlers(deps).register(app)
    ApprovalHandlers(deps).register(app)
    HomeHandlers(deps).register(app)
    fallback.register(app)
