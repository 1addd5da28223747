"""Which language each person reads: their own choice, else their Slack locale, else the default.

The Slack locale costs a `users.info` call, so it is asked after the ack (never inside it),
once per person however many requests arrive together, and kept for a bounded time in a
bounded cache. A person's own choice is read from the database on every answer, so a choice
made on one replica holds on all of them at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Final

import aiohttp
from cachetools import LRUCache, TTLCache
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import LANGUAGE_NAMES, Messages, messages, messages_for
from bot.preferences import Preferences

log = logging.getLogger("bot.locales")

# users.info is quick; past this the person is answered in the default language instead.
LOOKUP_TIMEOUT: Final = 2.0
# A change of Slack language shows within the hour; a 10,000-person workspace stays in memory.
CACHE_TTL: Final = 3600.0
CACHE_SIZE: Final = 10_000
# A person's own choice, read from the database at most this often: the replica where it was
# made follows it at once, the others within this time (a query per answer cost more CPU than
# the rest of a lookup's own code).
CHOICE_TTL: Final = 30.0


class Locales:
    def __init__(
        self,
        preferences: Preferences,
        default: str,
        *,
        ttl: float = CACHE_TTL,
        maxsize: int = CACHE_SIZE,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.preferences = preferences
        self.default = default
        self._slack: TTLCache[str, str | None] = TTLCache(maxsize, ttl, timer=timer)
        self._answered: TTLCache[str, str] = TTLCache(maxsize, ttl, timer=timer)
        self._chosen: TTLCache[str, str | None] = TTLCache(maxsize, CHOICE_TTL, timer=timer)
        # The choice last read, answered while a fresher one is being read.
        self._chosen_before: LRUCache[str, str | None] = LRUCache(maxsize)
        self._asking: dict[str, asyncio.Task[str | None]] = {}
        self._reading: dict[str, asyncio.Task[str | None]] = {}

    def known(self, user: str) -> Messages:
        """For what must be said inside the ack: memory only, the language last used, or
        the default. Prefer answering after the ack with `messages()`."""
        code = self._answered.get(user)
        return messages(code) if code else messages_for(None, self.default)

    async def messages(self, client: AsyncWebClient, user: str) -> Messages:
        """The language to answer `user` in. Call it after the ack."""
        choice = await self.choice(user)
        if choice is not None:
            chosen = messages(choice)
        else:
            chosen = messages_for(await self.slack_locale(client, user), self.default)
        self._answered[user] = chosen.code
        return chosen

    async def choice(self, user: str) -> str | None:
        """The person's own choice (a catalog code), None when they follow Slack.

        Read once however many answers want it at the same moment, and, once read, answered
        from memory while it is read again: 50 answers missing it together had queued 50
        reads on the store's one SQLite connection, the last answer waiting 2.6 s.
        """
        if user in self._chosen:
            return self._chosen[user]
        reading = _once(self._reading, user, lambda: self._read_choice(user))
        if user in self._chosen_before:
            reading.add_done_callback(_log_failed_read)
            return self._chosen_before[user]
        return await asyncio.shield(reading)

    async def _read_choice(self, user: str) -> str | None:
        choice = await self.preferences.locale(user)
        choice = choice if choice in LANGUAGE_NAMES else None
        self._chosen[user] = self._chosen_before[user] = choice
        return choice

    async def choose(self, user: str, choice: str | None, *, now: datetime) -> None:
        await self.preferences.set_locale(user, choice, now=now)
        chosen = choice if choice in LANGUAGE_NAMES else None
        self._chosen[user] = self._chosen_before[user] = chosen
        self._answered.pop(user, None)

    async def slack_locale(self, client: AsyncWebClient, user: str) -> str | None:
        """The person's Slack locale (`zh-CN`), None when Slack did not say."""
        if user in self._slack:
            return self._slack[user]
        # One waiter giving up must not cancel the question the others wait for.
        return await asyncio.shield(
            _once(self._asking, user, lambda: self._ask_slack(client, user))
        )

    async def _ask_slack(self, client: AsyncWebClient, user: str) -> str | None:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT):
                answer = await client.users_info(user=user, include_locale=True)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            # Not cached: the next request asks again.
            log.warning("slack locale unknown", extra={"user": user, "error": repr(error)})
            return None
        locale = (answer.get("user") or {}).get("locale")
        found = locale if isinstance(locale, str) and locale else None
        self._slack[user] = found
        return found


def _once(
    in_flight: dict[str, asyncio.Task[str | None]],
    user: str,
    start: Callable[[], Coroutine[Any, Any, str | None]],
) -> asyncio.Task[str | None]:
    """The task already finding this out for `user`, or a new one."""
    task = in_flight.get(user)
    if task is None:
        task = in_flight[user] = asyncio.create_task(start())
        task.add_done_callback(lambda _: in_flight.pop(user, None))
    return task


def _log_failed_read(task: asyncio.Task[str | None]) -> None:
    # Nobody awaits a read made while the choice read before was answered: say it failed here.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("language choice not read again", extra={"error": repr(error)})
