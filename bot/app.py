"""The app factory: one AsyncApp wired to its dependencies, the same in every run mode."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

import handlers
from bot.blocks.common import fallback_text, notice
from bot.blocks.modals import message_modal
from bot.deps import Deps
from bot.door import VERIFIED, QuietRequestVerification
from bot.i18n import N_, Messages
from bot.listeners import ListenerTasks
from bot.logs import stamp_correlation_ids
from bot.settings import Settings
from handlers.context import InvocationMiddleware, reader_of, what_of
from handlers.fallback import OUT_OF_DATE

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
    app.use(InvocationMiddleware(deps))
    app.error(_on_error)
    ListenerTasks.install(app)
    handlers.register(app, deps)
    return app


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
    what = {"what": what_of(body), "user": context.user_id}
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
        return {"text": fallback_text(sentence), "blocks": blocks}
    return None
