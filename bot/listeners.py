"""The listener work bolt runs after an ack, tracked so a stopping process lets it finish.

With `process_before_response=False` bolt answers Slack as soon as a listener acks and runs
the rest of the listener in a task of its own. bolt calls its listener start handler inside
that task: ours notes the task, so draining needs no knowledge of bolt's internals.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger("bot.listeners")


class ListenerTasks(AsyncListenerStartHandler):
    """Every listener task running now; bolt's own start handler still runs first."""

    def __init__(self, previous: AsyncListenerStartHandler | None = None) -> None:
        self._previous = previous
        self._running: set[asyncio.Task[Any]] = set()

    @classmethod
    def install(cls, app: AsyncApp) -> ListenerTasks:
        runner = app.listener_runner
        tracker = cls(runner.listener_start_handler)
        runner.listener_start_handler = tracker
        return tracker

    @property
    def running(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._running)

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        if self._previous is not None:
            await self._previous.handle(request=request, response=response)
        task = asyncio.current_task()
        if task is not None and not task.done():
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def drain(self, timeout: float) -> None:
        """Return once every listener task running now has finished, or after `timeout`."""
        pending = [task for task in self._running if not task.done()]
        if pending:
            log.info("draining in-flight work", extra={"tasks": len(pending)})
            await asyncio.wait(pending, timeout=timeout)
