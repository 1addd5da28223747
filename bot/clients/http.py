"""The HTTP plumbing both backend clients share: one configured httpx client, typed failures."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Generator, Hashable
from json import dumps as json_dumps
from typing import Any
from urllib.parse import urlencode
from urllib.request import getproxies

import httpx
from httpx import USE_CLIENT_DEFAULT

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

_HEADERS = {"Accept": "application/json", "User-Agent": "support-bot"}

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
        self._in_flight: dict[Hashable, asyncio.Task[tuple[int, Any]]] = {}
        wire = transport or AiohttpTransport(max_connections=max_connections)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            timeout=httpx.Timeout(timeout),
            transport=wire,
            # Used only where a proxy from the environment takes over the transport.
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers=_HEADERS,
        )
        # Requests are built here, not by `AsyncClient.build_request`, which merges and
        # re-parses the URL three times and copies the client's cookies and headers: a third
        # of a lookup's CPU. With a fixed Authorization header (basic or bearer) and no proxy
        # from the environment, they go straight to the aiohttp wire, without httpx's Request
        # and Response objects or its cookie jar: the same bytes on the wire, the same errors.
        # Anything else (a login flow, a test's mock transport) goes through the client.
        self._base = str(self._client.base_url).rstrip("/")
        self._timeouts = self._client.timeout.as_dict()
        lean = isinstance(wire, AiohttpTransport) and not getproxies()
        self._lean_auth = _fixed_authorization(auth) if lean else None
        self._wire = wire if isinstance(wire, AiohttpTransport) else None

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
        key = _read_key(method, path, kwargs)
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
                status, content = await self._queued(method, path, **kwargs)
            else:
                status, content = await self._exchange(method, path, **kwargs)
        except httpx.PoolTimeout as error:
            self._log(method, path, "busy", started)
            raise BackendBusy(
                self.name,
                N_(
                    "All %(count)s connections to %(backend)s stayed busy for %(seconds)s s;"
                    " nothing was sent. Try again in a moment."
                ),
                count=self._max_connections,
                seconds=f"{self._queue_timeout:g}",
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
        if status >= 400 or log.isEnabledFor(logging.DEBUG):
            self._log(method, path, status, started)
        return status, self._parse(status, content, write)

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> tuple[int, bytes]:
        """Send one request as built here; (HTTP status, body) or an httpx error."""
        url = self._base + path
        if params:
            url += "?" + urlencode(params)
        content = None
        all_headers = _HEADERS
        if json is not None:
            content = json_dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            all_headers = {**all_headers, "Content-Type": "application/json"}
        if headers:
            all_headers = {**all_headers, **headers}
        if self._wire is not None and self._lean_auth is not None and auth is USE_CLIENT_DEFAULT:
            sent = [*all_headers.items(), *self._lean_auth]
            status, *_, body = await self._wire.exchange(method, url, sent, content, self._timeouts)
            return status, body
        request = httpx.Request(
            method,
            url,
            headers=all_headers,
            content=content,
            extensions={"timeout": self._timeouts},
        )
        response = await self._client.send(request, auth=auth)
        return response.status_code, response.content

    async def _queued(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
        # The wait for a connection has its own budget (HTTP_QUEUE_TIMEOUT); HTTP_TIMEOUT
        # starts once the request has one.
        try:
            if self._slots.locked():  # a free slot is taken at once, without a timer
                async with asyncio.timeout(self._queue_timeout):
                    await self._slots.acquire()
            else:
                await self._slots.acquire()
        except TimeoutError:
            # Nothing was sent: the same as httpx running out of pooled connections.
            raise httpx.PoolTimeout("no free connection slot in time") from None
        try:
            return await self._exchange(method, path, **kwargs)
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

    def _parse(self, status: int, content: bytes, write: bool) -> Any:
        if status == 401:
            raise AuthenticationFailed(self.name, N_("%(backend)s refused the bot's credentials."))
        try:
            return json.loads(content)
        except ValueError:
            raise unrecognized_answer(
                self.name,
                status,
                write=write,
                what=N_("%(backend)s sent an answer that is not JSON."),
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


def _fixed_authorization(auth: httpx.Auth | None) -> list[tuple[str, str]] | None:
    """The headers a basic or bearer auth adds to every request; None for any other flow."""
    if auth is None:
        return []
    if type(auth) not in (httpx.BasicAuth, BearerAuth):
        return None
    probe = next(auth.sync_auth_flow(httpx.Request("GET", "http://auth.invalid/")))
    return [("Authorization", probe.headers["Authorization"])]


def _read_key(method: str, path: str, kwargs: dict[str, Any]) -> Hashable:
    """What makes two reads the same: method, path, parameters and body. Parameters of plain
    values (every lookup's) are a tuple; anything else is keyed by its JSON."""
    params = kwargs.get("params")
    if kwargs.keys() == {"params"} and isinstance(params, dict):
        items = tuple(sorted(params.items()))
        if all(type(value) in (str, int) for _, value in items):
            return (method, path, items)
    return (method, path, json.dumps(kwargs, sort_keys=True, default=str))


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A shared read whose callers all gave up still ends; its error is theirs, not asyncio's.
    if not task.cancelled():
        task.exception()


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
