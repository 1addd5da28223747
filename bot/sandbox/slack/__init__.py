"""An emulated Slack workspace that holds an app to Slack's rules.

It speaks only Slack's protocol: the Web API at `/api/<method>`, response_urls at
`/response/<id>`, and signed requests to the app's events URL, as Slack sends them.
It keeps what a person would see (messages, modals, the Home tab) so tests and the
terminal demo can look at it, and records every broken rule in `.violations`.

One concern per module, each building on the one before:
workspace (state) → response_urls → views (the view stack) → web_api → acks (sending
and judging) → person (the driver tests and the demo use).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property

from starlette.applications import Starlette
from starlette.routing import Route

from bot.sandbox.http import serve_asgi
from bot.sandbox.slack.acks import signature
from bot.sandbox.slack.elements import SlackEmulatorError, find_element
from bot.sandbox.slack.person import Person
from bot.sandbox.slack.workspace import (
    ACK_DEADLINE,
    ACK_TRANSIT,
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    FORM,
    RESPONSE_URL_TTL,
    RESPONSE_URL_USES,
    TRIGGER_TTL,
    VERIFICATION_TOKEN,
    VIEW_STACK_LIMIT,
    Ack,
    ApiCall,
    Json,
    Message,
    ResponsePost,
    View,
)

__all__ = [
    "ACK_DEADLINE",
    "ACK_TRANSIT",
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "FORM",
    "RESPONSE_URL_TTL",
    "RESPONSE_URL_USES",
    "TRIGGER_TTL",
    "VERIFICATION_TOKEN",
    "VIEW_STACK_LIMIT",
    "Ack",
    "ApiCall",
    "Json",
    "Message",
    "ResponsePost",
    "SlackEmulator",
    "SlackEmulatorError",
    "View",
    "find_element",
    "signature",
]


class SlackEmulator(Person):
    """One Slack workspace with one app installed; `app` is its ASGI server."""

    @cached_property
    def app(self) -> Starlette:
        """The ASGI server: the Web API and the response_urls."""
        return Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{url_id}", self._response_url_post, methods=["POST"]),
            ]
        )

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve the emulator on a loopback port; sets and yields `base_url`."""
        async with serve_asgi(self.app) as base_url:
            self.base_url = base_url
            yield base_url
