"""The app's one middleware: who asked, where, the reference and the reply channels, read
from the request once and put into bolt's context.

Listeners take it by name: bolt passes every context key as a keyword argument to the
listeners whose signature names it (`slack_bolt.kwargs_injection.async_utils`), so a
listener declares `here: Invocation` and gets the value built below.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.door import ACK_SENT, AFTER_ACKS
from bot.i18n import SOURCE_LANGUAGE, Messages, messages
from bot.logs import new_correlation_id

log = logging.getLogger("bot.app")

# The context key, and so the listener argument name, of the invocation.
HERE = "here"

# What a request is, as far as how it can be answered goes.
Kind = Literal["command", "action", "view", "other"]
_KINDS: dict[str, Kind] = {
    "block_actions": "action",
    "view_submission": "view",
    "view_closed": "view",
}
# Where there is no response_url: bolt's respond without one, which refuses to be called.
_NO_RESPONSE_URL = AsyncRespond(response_url=None)


async def _at_once() -> None:
    return None


@dataclass(frozen=True)
class Invocation:
    """Who asked, from where, and how to answer them."""

    user: str
    channel: str
    trigger_id: str | None
    # The response_url's poster (one that raises when the request has no response_url).
    respond: AsyncRespond
    client: AsyncWebClient
    ref: str
    ack: AsyncAck
    kind: Kind
    # The reader's language: inside the ack, the one known without asking Slack; handlers
    # replace it with `FeatureHandlers.reader` after the ack.
    t: Messages
    # Answer by replacing the message (a placeholder, a page turned) instead of adding one.
    in_place: bool = False
    # Awaited after the ack, before answer work: the acks already due go out first.
    after_acks: Callable[[], Awaitable[None]] = _at_once


def here_of(context: AsyncBoltContext) -> Invocation | None:
    """The invocation, where the middleware ran (a request refused before it has none)."""
    found = context.get(HERE)
    return found if isinstance(found, Invocation) else None


def reader_of(context: AsyncBoltContext) -> Messages:
    """The language to answer in inside an ack: the one this person was last answered in."""
    here = here_of(context)
    return here.t if here is not None else messages(SOURCE_LANGUAGE)


class InvocationMiddleware(AsyncMiddleware):
    """Sets the correlation id, a sticky ack, the pooled respond and the `Invocation`.

    An `AsyncMiddleware` rather than a function: bolt builds no keyword arguments for it,
    and this runs on every request.
    """

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        context, body = req.context, req.body
        ref = context["correlation_id"] = new_correlation_id()
        ack = context["ack"] = StickyAck(context.get(ACK_SENT))
        respond = _NO_RESPONSE_URL
        if context.response_url:
            # Every answer through one keep-alive pool, not a new session per post.
            respond = context["respond"] = self._deps.responses.respond_to(context.response_url)
        user = context.user_id or ""
        kind: Kind = "command" if "command" in body else _KINDS.get(body.get("type", ""), "other")
        context[HERE] = Invocation(
            user=user,
            channel=context.channel_id or body.get("container", {}).get("channel_id", ""),
            trigger_id=body.get("trigger_id"),
            respond=respond,
            client=context.client,
            ref=ref,
            ack=ack,
            kind=kind,
            # Memory only: what an ack may say without asking Slack.
            t=self._deps.locales.known(user),
            after_acks=context.get(AFTER_ACKS) or _at_once,
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("received", extra={"what": what_of(body), "user": user})
        return await next()


def what_of(body: dict[str, Any]) -> str:
    """A request in a few words, for logs: the command, action or view it is."""
    if "command" in body:
        return str(body["command"])
    if body.get("type") == "block_actions" and body.get("actions"):
        return f"action:{body['actions'][0].get('action_id')}"
    if body.get("type") in ("view_submission", "view_closed"):
        return f"view:{body.get('view', {}).get('callback_id')}"
    return str(body.get("type") or body.get("event", {}).get("type") or "unknown")


class StickyAck(AsyncAck):
    """An ack that stays sent.

    When a listener raises just after acking (before bolt's 10 ms poll saw the ack), bolt's
    runner sets the ack back to None, waits out the 3 s and answers 404. Slack has the ack.
    """

    def __init__(self, sent: asyncio.Future[BoltResponse] | None = None) -> None:
        self._sent: BoltResponse | None = None
        # The door answers Slack with the ack as soon as this is resolved (bot.door).
        self._sent_future = sent

    @property
    def response(self) -> BoltResponse | None:
        return self._sent

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None:
            self._sent = value
            if self._sent_future is not None and not self._sent_future.done():
                self._sent_future.set_result(value)
