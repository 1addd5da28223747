"""Acks first: work that follows an ack waits while other requests still wait for theirs.

Slack drops a request not acked within 3 seconds; the answer that follows an ack has no
such deadline. In a burst (a support team firing lookups at once) the event loop would
otherwise interleave the backend calls, parsing and replies of the first commands with
the acks of the later ones, and the last acks would wait for all of that work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

# Under a sustained stream of requests the loop is never free of pending acks: the work
# that follows an ack waits this long at most, so answers are delayed, never starved.
# Acking a burst of 200 takes about 0.1 s on a small machine.
MAX_WAIT_SECONDS = 0.5


class AckFirst:
    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait
        self._pending = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @property
    def pending(self) -> int:
        return self._pending

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one request, up to the moment its ack is sent."""
        self._pending += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._pending -= 1
            if self._pending == 0:
                self._quiet.set()

    async def settled(self) -> None:
        """Return once no request waits for its ack (or after `max_wait`)."""
        if self._pending:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.max_wait):
                    await self._quiet.wait()
