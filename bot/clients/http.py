"""The HTTP plumbing both backend clients share: one configured httpx client, typed failures."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Generator
from typing import Any

import httpx

from bot.clients.errors import (
    AuthenticationFailed,
    BackendBusy,
    BackendError,
    BackendHttpError,
    BackendTimeout,
    BackendUnreachable,
    MalformedResponse,
    WriteOutcomeUnknown,
)
from bot.clients.transport import AiohttpTransport

log = logging.getLogger("bot.backend")

# Failures raised before a request left this process: nothing can have been applied.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol)


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class JsonHttp:
    """A JSON-over-HTTP backend configured once: base URL, auth, timeout, transport.

    Requests are never retried here: a write must not apply twice, and a read that failed
    is cheaper to offer again (a Retry button) than to hold a person waiting.
    """

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        timeout: float,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
        queue_timeout: float | None = None,
    ) -> None:
        self.name = name
        self._max_connections = max_connections
        self._queue_timeout = timeout if queue_timeout is None else queue_timeout
        # Requests beyond `max_connections` wait for a slot here, not in httpx's pool: httpcore
        # rescans every queued request against every connection whenever one starts or ends,
        # so a burst of lookups on a slow backend (hundreds queued) starved the event loop and
        # with it the acks of new commands. A semaphore queues in O(1), in arrival order.
        self._slots = asyncio.Semaphore(max_connections)
        # Identical reads in flight share one request (see `send`).
        self._in_flight: dict[str, asyncio.Task[tuple[int, Any]]] = {}
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            timeout=httpx.Timeout(timeout),
            transport=transport or AiohttpTransport(max_connections=max_connections),
            # Used only where a proxy from the environment takes over the transport.
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"Accept": "application/json", "User-Agent": "support-bot"},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self, method: str, path: str, *, write: bool, queued: bool = True, **kwargs: Any
    ) -> tuple[int, Any]:
        """Send one request; return (HTTP status, parsed JSON) or raise a typed error.

        A read identical to one already in flight (same method, path, parameters and body)
        is not sent again: every caller gets the answer of the one request, the same parsed
        object, which callers only read. Writes are always sent, each exactly once.

        `queued=False` skips the wait for a connection slot: for a request sent on behalf of
        one that already holds a slot (a login), which would otherwise wait for itself.
        """
        if write or not queued or not kwargs.keys() <= {"params", "json"}:
            return await self._send(method, path, write=write, queued=queued, **kwargs)
        key = f"{method} {path} {json.dumps(kwargs, sort_keys=True, default=str)}"
        shared = self._in_flight.get(key)
        if shared is None:
            shared = asyncio.create_task(self._send(method, path, write=False, **kwargs))
            self._in_flight[key] = shared
            shared.add_done_callback(lambda _: self._in_flight.pop(key, None))
            shared.add_done_callback(_retrieve)
        # One caller giving up (a cancelled task) does not cancel the others' answer.
        return await asyncio.shield(shared)

    async def _send(
        self, method: str, path: str, *, write: bool, queued: bool = True, **kwargs: Any
    ) -> tuple[int, Any]:
        started = time.perf_counter()
        try:
            if queued:
                response = await self._request(method, path, **kwargs)
            else:
                response = await self._client.request(method, path, **kwargs)
        except httpx.PoolTimeout as error:
            self._log(method, path, "busy", started)
            raise BackendBusy(
                self.name,
                f"All {self._max_connections} connections to {self.name} stayed busy for"
                f" {self._queue_timeout:g} s; nothing was sent. Try again in a moment.",
            ) from error
        except _NOT_SENT as error:
            self._log(method, path, "unreachable", started, error=type(error).__name__)
            raise BackendUnreachable(self.name, f"{self.name} could not be reached.") from error
        except httpx.TimeoutException as error:
            self._log(method, path, "timeout", started)
            raise self._no_verdict(write, "did not answer in time") from error
        except httpx.TransportError as error:
            self._log(method, path, "transport-error", started, error=type(error).__name__)
            raise self._no_verdict(write, "dropped the connection") from error
        if response.status_code >= 400 or log.isEnabledFor(logging.DEBUG):
            self._log(method, path, response.status_code, started)
        return response.status_code, self._parse(response, write)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # The wait for a connection has its own budget (HTTP_QUEUE_TIMEOUT); HTTP_TIMEOUT
        # starts once the request has one.
        try:
            async with asyncio.timeout(self._queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            # Nothing was sent: the same as httpx running out of pooled connections.
            raise httpx.PoolTimeout("no free connection slot in time") from None
        try:
            return await self._client.request(method, path, **kwargs)
        finally:
            self._slots.release()

    def _no_verdict(self, write: bool, what: str) -> WriteOutcomeUnknown | BackendTimeout:
        if write:
            return WriteOutcomeUnknown(
                self.name, f"{self.name} {what}, so it is not known whether the change was made."
            )
        return BackendTimeout(self.name, f"{self.name} {what}.")

    def _parse(self, response: httpx.Response, write: bool) -> Any:
        if response.status_code == 401:
            raise AuthenticationFailed(self.name, f"{self.name} refused the bot's credentials.")
        try:
            return response.json()
        except ValueError:
            raise unrecognized_answer(
                self.name, response.status_code, write=write, what="an answer that is not JSON"
            ) from None

    def _log(self, method: str, path: str, outcome: object, started: float, **extra: str) -> None:
        """Failures at INFO; a successful call only at DEBUG (a lookup logs its own line)."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.DEBUG if isinstance(outcome, int) and outcome < 400 else logging.INFO
        log.log(
            level,
            "backend call",
            extra={
                "backend": self.name,
                "method": method,
                "path": path,
                "outcome": outcome,
                "latency_ms": round(elapsed_ms, 1),
                **extra,
            },
        )


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A shared read whose callers all gave up still ends; its error is theirs, not asyncio's.
    if not task.cancelled():
        task.exception()


def unrecognized_answer(backend: str, status: int, *, write: bool, what: str) -> BackendError:
    """The error for an answer that carries no verdict the API documents."""
    if write and status >= 500:
        return WriteOutcomeUnknown(
            backend,
            f"{backend} failed with HTTP {status}, so it is not known whether the change was made.",
        )
    if status >= 400:
        return BackendHttpError(backend, status)
    return MalformedResponse(backend, f"{backend} sent {what}.")
