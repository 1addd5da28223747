"""The app factory: one AsyncApp wired to its dependencies, the same in every run mode."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

import handlers
from bot.blocks.common import fallback_text, notice
from bot.deps import Deps
from bot.logs import new_correlation_id, stamp_correlation_ids
from bot.settings import Settings

log = logging.getLogger("bot.app")


def build_app(settings: Settings, deps: Deps) -> AsyncApp:
    stamp_correlation_ids()
    token = settings.slack_bot_token.get_secret_value()
    app = AsyncApp(
        signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else None
        ),
        request_verification_enabled=settings.slack_signing_secret is not None,
        # The token, not a client: bolt also reads SLACK_BOT_TOKEN and warns when both are given.
        token=token,
        # Listeners ack, the HTTP answer goes back at once, and the rest runs after it.
        process_before_response=False,
    )
    # Bolt's own client, pointed at SLACK_API_URL; each request's client copies its base_url.
    app.client.base_url = settings.slack_api_url
    app.use(_trace_request)
    app.error(_on_unexpected_error)
    handlers.register(app, deps)
    return app


def _what(body: dict[str, Any]) -> str:
    if "command" in body:
        return str(body["command"])
    if body.get("type") == "block_actions" and body.get("actions"):
        return f"action:{body['actions'][0].get('action_id')}"
    if body.get("type") in ("view_submission", "view_closed"):
        return f"view:{body.get('view', {}).get('callback_id')}"
    return str(body.get("type") or body.get("event", {}).get("type") or "unknown")


async def _trace_request(
    context: AsyncBoltContext,
    body: dict[str, Any],
    next: Callable[[], Awaitable[BoltResponse]],
) -> BoltResponse:
    """Give each request a correlation id, and log one line as it goes to its listener.

    Bolt's `next()` returns nothing here (the listener acks after the middleware), so this
    line carries no ack time nor status: it would only ever say 0.0 and null.
    """
    context["correlation_id"] = new_correlation_id()
    log.info("received", extra={"what": _what(body), "user": context.user_id})
    return await next()


async def _on_unexpected_error(
    error: Exception, context: AsyncBoltContext, body: dict[str, Any]
) -> None:
    """A bug must not leave the person waiting, nor show them a stack trace."""
    ref = context.get("correlation_id", "-")
    log.error(
        "unexpected error", exc_info=error, extra={"what": _what(body), "user": context.user_id}
    )
    if context.respond is not None:
        text = "Something went wrong on our side; nothing more was done. Quote the reference to on-call."
        # A command's placeholder is replaced; a message someone clicked in is left intact.
        await context.respond(
            text=fallback_text(text),
            blocks=notice(f":x: {text}", ref),
            replace_original="command" in body,
        )
