"""A command's answer, with a placeholder shown first only when the answer is slow.

Slack promises no order between an ack's HTTP response and a response_url post the app
makes meanwhile, so a placeholder in the ack could land on top of the answer that was meant
to replace it. The ack stays empty; the placeholder goes through the response_url like the
answer, each post awaited before the next, and only when the answer takes longer than
`after`: a fast lookup costs one post.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.common import Block

PLACEHOLDER_AFTER = 1.0


class PlaceholderIfSlow(AsyncRespond):
    """`respond`, as an async context manager around the work that answers.

    Until the first answer, a placeholder is due after `after` seconds. The first answer
    cancels it if it has not started, or waits for it to be shown and then replaces it.
    """

    def __init__(
        self,
        respond: AsyncRespond,
        *,
        text: str,
        blocks: Sequence[Block],
        after: float = PLACEHOLDER_AFTER,
    ) -> None:
        super().__init__(response_url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
        self._respond = respond
        self._text, self._blocks, self._after = text, blocks, after
        # A timer, not a task: most answers come first, and cancelling a timer costs nothing.
        self._timer: asyncio.TimerHandle | None = None
        self._posting: asyncio.Task[None] | None = None
        self._shown = False

    async def __aenter__(self) -> PlaceholderIfSlow:
        self._timer = asyncio.get_running_loop().call_later(self._after, self._show)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._settle()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        await self._settle()
        if not self._shown and kwargs.get("replace_original"):
            # Nothing was shown yet: the answer is a message of its own.
            kwargs["replace_original"] = False
        self._shown = True
        return await self._respond(*args, **kwargs)

    def _show(self) -> None:
        self._timer = None
        self._posting = asyncio.create_task(self._post())

    async def _post(self) -> None:
        await self._respond(text=self._text, blocks=self._blocks)
        self._shown = True

    async def _settle(self) -> None:
        """No placeholder post is due or in flight afterwards."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        posting, self._posting = self._posting, None
        if posting is not None:
            # A post in flight is awaited, so what follows it is applied after it; its
            # failure is the answer's too, and propagates.
            await posting
