"""The app factory: one AsyncApp wired to its dependencies, the same in every run mode."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse

import handlers
from bot.blocks.common import fallback_text, message_modal, notice
from bot.deps import Deps
from bot.door import VERIFIED, QuietRequestVerification
from bot.i18n import N_, Messages
from bot.listeners import ListenerTasks
from bot.logs import new_correlation_id, stamp_correlation_ids
from bot.settings import Settings
from handlers.fallback import OUT_OF_DATE, READER, reader_of

log = logging.getLogger("bot.app")


def build_app(settings: Settings, deps: Deps) -> AsyncApp:
    stamp_correlation_ids()
    token = settings.slack_bot_token.get_secret_value()
    secret = settings.slack_signing_secret
    app = AsyncApp(
        # The door (bot.door) verifies before bolt parses anything; this second check, in
        # bolt's place, is the same one without bolt's logging of whole refused bodies.
        request_verification_enabled=False,
        before_authorize=QuietRequestVerification(secret.get_secret_value() if secret else None),
        # The token, not a client: bolt also reads SLACK_BOT_TOKEN and warns when both are given.
        token=token,
        # Listeners ack, the HTTP answer goes back at once, and the rest runs after it.
        process_before_response=False,
    )
    # Bolt's own client, pointed at SLACK_API_URL; each request's client copies its base_url.
    app.client.base_url = settings.slack_api_url
    app.use(_trace_request)

    async def pooled_respond(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Every answer through one keep-alive pool, not a new session per post.
        if context.response_url:
            context["respond"] = deps.responses.respond_to(context.response_url)
        return await next()

    app.use(pooled_respond)

    async def known_reader(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Memory only: what an ack may say without asking Slack.
        context[READER] = deps.locales.known(context.user_id or "")
        return await next()

    app.use(known_reader)
    app.error(_on_error)
    ListenerTasks.install(app)
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
    """Give each request a correlation id and a sticky ack; log it at DEBUG as it goes to
    its listener (the line for what the request did carries the same reference at INFO).

    Bolt's `next()` returns nothing here (the listener acks after the middleware), so this
    line carries no ack time nor status: it would only ever say 0.0 and null.
    """
    context["correlation_id"] = new_correlation_id()
    context["ack"] = _StickyAck()
    if log.isEnabledFor(logging.DEBUG):
        log.debug("received", extra={"what": _what(body), "user": context.user_id})
    return await next()


class _StickyAck(AsyncAck):
    """An ack that stays sent.

    When a listener raises just after acking (before bolt's 10 ms poll saw the ack), bolt's
    runner sets the ack back to None, waits out the 3 s and answers 404. Slack has the ack.
    """

    def __init__(self) -> None:
        self._sent: BoltResponse | None = None

    @property
    def response(self) -> BoltResponse | None:
        return self._sent

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None:
            self._sent = value


async def _on_error(
    error: Exception,
    context: AsyncBoltContext,
    body: dict[str, Any],
    response: BoltResponse | None,
) -> BoltResponse | None:
    """A value that does not parse is out of date; anything else is a bug. Either way the
    person is told in one sentence, never shown a stack trace, and Slack gets no 5xx.

    Only a verified request is answered, and only through its own ack or response_url.
    """
    if not context.get(VERIFIED):
        log.warning("error before verification", extra={"error": type(error).__name__})
        return BoltResponse(status=401, body={"error": "invalid request"})
    ref = context.get("correlation_id", "-")
    what = {"what": _what(body), "user": context.user_id}
    if isinstance(error, ValidationError):
        log.warning("out-of-date value", extra={**what, "model": error.title})
        message = OUT_OF_DATE
    else:
        log.error("unexpected error", exc_info=error, extra=what)
        message = N_(
            "Something went wrong on our side; nothing more was done. "
            "Quote the reference to on-call."
        )
    t = reader_of(context)
    sentence = t(message)
    if response is not None:
        # Not acked yet: where the ack can say something, it is the answer.
        answer = _answer_in_ack(t, body, sentence, ref)
        if answer is not None:
            return BoltResponse(status=200, body=answer)
    if context.respond is not None:
        # A command's placeholder is replaced; a message someone clicked in is left intact.
        await context.respond(
            text=fallback_text(sentence),
            blocks=notice(t, f":x: {sentence}", ref),
            replace_original="command" in body,
        )
    return None if response is None else BoltResponse(status=200, body="")


def _answer_in_ack(
    t: Messages, body: dict[str, Any], sentence: str, ref: str
) -> dict[str, Any] | None:
    """What the ack of `body` says, for the kinds of request whose ack can say something."""
    blocks = notice(t, f":x: {sentence}", ref)
    if body.get("type") == "view_submission":
        view = message_modal(t, t("Nothing was done"), blocks)
        return {"response_action": "update", "view": view.to_dict()}
    if "command" in body:
        return {"text": fallback_text(sentence), "blocks": [b.to_dict() for b in blocks]}
    return None
