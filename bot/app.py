"""The app factory: one AsyncApp wired to its dependencies, the same in every run mode."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.blocks.common import fallback_text, notice
from bot.deps import Deps
from bot.logs import new_correlation_id, stamp_correlation_ids
from bot.settings import Settings

log = logging.getLogger("bot.app")
# An ack this slow is logged at INFO: Slack gives up at 3000 ms.
SLOW_ACK_MS = 1000.0


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
        client=AsyncWebClient(token=token, base_url=settings.slack_api_url),
        # Listeners ack, the HTTP answer goes back at once, and the rest runs after it.
        process_before_response=False,
    )
    app.use(_trace_request)

    async def pooled_respond(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Every answer through one keep-alive pool, not a new session per post.
        if context.response_url:
            context["respond"] = deps.responses.respond_to(context.response_url)
        return await next()

    app.use(pooled_respond)
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
    """Give each request a correlation id; log its ack when it was slow or not a 200.

    A quick ack is logged at DEBUG only: the line for what the request did (a lookup, a
    change, a refusal) carries the same reference, and on a busy day half the log volume
    was "acked".
    """
    ref = new_correlation_id()
    context["correlation_id"] = ref
    started = time.perf_counter()
    response = await next()
    ack_ms = (time.perf_counter() - started) * 1000
    status = response.status if response else None
    # With listeners that ack and go on (process_before_response=False) bolt hands back no
    # response here: the ack went out from the listener, and that is not a failure.
    quick = status in (200, None) and ack_ms < SLOW_ACK_MS
    level = logging.DEBUG if quick else logging.INFO
    if log.isEnabledFor(level):
        log.log(
            level,
            "acked",
            extra={
                "what": _what(body),
                "user": context.user_id,
                "ack_ms": round(ack_ms, 1),
                "status": status,
            },
        )
    return response


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
