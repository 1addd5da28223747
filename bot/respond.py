"""response_url posts over one long-lived aiohttp session, instead of one session per answer.

bolt's `respond` builds a fresh `AsyncWebhookClient` for every call, and that client opens a
new aiohttp session (a new connection pool, a new TCP connection) for every post: most of a
lookup's cost after its backend calls. Here every response_url post of the process shares
one pool with keep-alive connections, and the message is built exactly as bolt builds it.
Posts are never re-sent (aiohttp re-sends no POST): a post that had arrived would show a
person the same answer twice, and Slack allows five posts per URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook.webhook_response import WebhookResponse

# Slack answers a response_url post in well under a second; a hung one must not hold a task.
POST_TIMEOUT = 30.0


class ResponseUrlPoster:
    """The process's one pool of connections for response_url posts."""

    def __init__(self, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp wants a running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT),
            )
        return self._session

    def respond_to(self, response_url: str) -> PooledRespond:
        return PooledRespond(response_url=response_url, poster=self)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class PooledRespond(AsyncRespond):
    """bolt's `respond`, posting through the shared pool; same arguments, same answer."""

    def __init__(self, *, response_url: str, poster: ResponseUrlPoster) -> None:
        super().__init__(response_url=response_url)
        self._poster = poster

    async def __call__(
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        url = self.response_url
        assert url is not None  # set in __init__
        async with self._poster.session().post(url, json=message) as answer:
            body = await answer.text()
        return WebhookResponse(
            url=url, status_code=answer.status, body=body, headers=dict(answer.headers)
        )
