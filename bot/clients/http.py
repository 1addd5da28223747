"""The HTTP plumbing both backend clients share: one configured httpx client, typed failures."""

from __future__ import annotations

import asyncio
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
from bot.i18n import N_

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
    ) -> None:
        self.name = name
        self._timeout = timeout
        # Requests beyond `max_connections` wait for a slot here, not in httpx's pool: httpcore
        # rescans every queued request against every connection whenever one starts or ends,
        # so a burst of lookups on a slow backend (hundreds queued) starved the event loop and
        # with it the acks of new commands. A semaphore queues in O(1), in arrival order.
        self._slots = asyncio.Semaphore(max_connections)
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

        `queued=False` skips the wait for a connection slot: for a request sent on behalf of
        one that already holds a slot (a login), which would otherwise wait for itself.
        """
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
                N_(
                    "Too many requests to %(backend)s are already waiting; nothing was sent."
                    " Try again in a moment."
                ),
            ) from error
        except _NOT_SENT as error:
            self._log(method, path, "unreachable", started, error=type(error).__name__)
            raise BackendUnreachable(self.name, N_("%(backend)s could not be reached.")) from error
        except httpx.TimeoutException as error:
            self._log(method, path, "timeout", started)
            raise self._no_verdict(write, timed_out=True) from error
        except httpx.TransportError as error:
            self._log(method, path, "transport-error", started, error=type(error).__name__)
            raise self._no_verdict(write, timed_out=False) from error
        self._log(method, path, response.status_code, started)
        return response.status_code, self._parse(response, write)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            # Nothing was sent: the same as httpx running out of pooled connections.
            raise httpx.PoolTimeout("no free connection slot in time") from None
        try:
            return await self._client.request(method, path, **kwargs)
        finally:
            self._slots.release()

    def _no_verdict(self, write: bool, *, timed_out: bool) -> WriteOutcomeUnknown | BackendTimeout:
        if write and timed_out:
            return WriteOutcomeUnknown(
                self.name,
                N_(
                    "%(backend)s did not answer in time, so it is not known whether the change"
                    " was made."
                ),
            )
        if write:
            return WriteOutcomeUnknown(
                self.name,
                N_(
                    "%(backend)s dropped the connection, so it is not known whether the change"
                    " was made."
                ),
            )
        if timed_out:
            return BackendTimeout(self.name, N_("%(backend)s did not answer in time."))
        return BackendTimeout(self.name, N_("%(backend)s dropped the connection."))

    def _parse(self, response: httpx.Response, write: bool) -> Any:
        if response.status_code == 401:
            raise AuthenticationFailed(self.name, N_("%(backend)s refused the bot's credentials."))
        try:
            return response.json()
        except ValueError:
            raise unrecognized_answer(
                self.name,
                response.status_code,
                write=write,
                what=N_("%(backend)s sent an answer that is not JSON."),
            ) from None

    def _log(self, method: str, path: str, outcome: object, started: float, **extra: str) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
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


def unrecognized_answer(backend: str, status: int, *, write: bool, what: str) -> BackendError:
    """The error for an answer that carries no verdict the API documents; `what` is the
    sentence (marked with `N_`) for an answer that is not the documented shape."""
    if write and status >= 500:
        return WriteOutcomeUnknown(
            backend,
            N_(
                "%(backend)s failed with HTTP %(status)s, so it is not known whether the change"
                " was made."
            ),
            status=status,
        )
    if status >= 400:
        return BackendHttpError(backend, status)
    return MalformedResponse(backend, what)
