"""An httpx transport that sends over aiohttp: httpx's client API, a cheaper connection pool.

httpx's own pool (httpcore) costs 0.5 to 2 ms of CPU per request in this app: on every
request start and end it re-checks every pooled connection, one `poll` per idle connection,
and a burst of lookups leaves a hundred of them. That CPU is taken from the event loop that
acks Slack. aiohttp (already installed: slack_sdk's async clients use it) keeps idle
connections in a per-host queue and costs about a tenth of that.

Only the wire changes: callers keep httpx's `AsyncClient` (base URL, auth, timeouts, typed
exceptions), and aiohttp's failures are raised as the httpx exceptions they correspond to.
`exchange` is the same wire without httpx's Request and Response objects, for `JsonHttp`'s
lean path.

A write is sent at most once. aiohttp re-sends an "idempotent" request (PUT and DELETE
among them) once when a kept-alive connection drops; a backend's PUT or DELETE may well
have been applied before the drop, so a trace hook (aiohttp's public extension point)
refuses a write's second attempt: its reset is reported, and the caller says "outcome
unknown". Reads go through a pool of their own without the hook: aiohttp sends every
request's trace signals, and reads are most of the traffic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDictProxy
from yarl import URL

# httpx sets these itself; aiohttp must not add its own.
_SKIP_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})
# Methods that can change something on the server; never sent twice.
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Timeouts = Mapping[str, float | None]
RawHeaders = tuple[tuple[bytes, bytes], ...]


class _NotResent(aiohttp.ClientError):
    """aiohttp was about to send a write again after its connection failed."""


async def _one_attempt_per_write(_: Any, context: SimpleNamespace, __: Any) -> None:
    # Called as each attempt takes a connection; the context lives as long as the request.
    write: dict[str, bool] | None = context.trace_request_ctx
    if write is None:
        return
    if write.get("attempted"):
        raise _NotResent("the connection failed and the write was not sent again")
    write["attempted"] = True


def _writes_sent_once() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_connection_create_start.append(_one_attempt_per_write)
    config.on_connection_reuseconn.append(_one_attempt_per_write)
    return config


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 5.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._reads: aiohttp.ClientSession | None = None
        self._writes: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _session(self, method: str) -> aiohttp.ClientSession:
        # Created on first use: aiohttp wants a running event loop.
        if method in _WRITES:
            if self._writes is None:
                self._writes = self._new_session([_writes_sent_once()])
            return self._writes
        if self._reads is None:
            self._reads = self._new_session([])
        return self._reads

    def _new_session(self, trace_configs: list[aiohttp.TraceConfig]) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=self._keepalive_expiry
            ),
            auto_decompress=False,  # httpx decodes by Content-Encoding itself
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps cookies, not the wire
            trace_configs=trace_configs or None,
        )

    def _timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        key = (timeouts.get("pool"), timeouts.get("connect"), timeouts.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            found = aiohttp.ClientTimeout(
                total=None, connect=key[0], sock_connect=key[1], sock_read=key[2]
            )
            self._timeouts[key] = found
        return found

    async def exchange(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        timeouts: Timeouts,
        request: httpx.Request | None = None,
    ) -> tuple[int, str, CIMultiDictProxy[str], RawHeaders, bytes]:
        """Send one request; (status, reason, headers, raw headers, body) or an httpx error."""
        try:
            async with self._session(method).request(
                method,
                URL(url, encoded=True),  # as the caller encoded it, not re-quoted
                headers=list(headers),
                data=body or None,
                timeout=self._timeout(timeouts),
                allow_redirects=False,
                trace_request_ctx={} if method in _WRITES else None,
            ) as answer:
                content = await answer.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise httpx.ConnectTimeout(str(error), request=request) from error
        except TimeoutError as error:  # aiohttp's socket read timeout is one too
            raise httpx.ReadTimeout(str(error) or "timed out", request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        except aiohttp.InvalidURL as error:
            raise httpx.UnsupportedProtocol(str(error), request=request) from error
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error
        return answer.status, answer.reason or "", answer.headers, answer.raw_headers, content

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        status, reason, _, raw_headers, content = await self.exchange(
            request.method,
            str(request.url),
            request.headers.multi_items(),
            await request.aread(),
            request.extensions.get("timeout", {}),
            request,
        )
        return httpx.Response(
            status,
            headers=raw_headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason.encode()},
        )

    async def aclose(self) -> None:
        for session in (self._reads, self._writes):
            if session is not None:
                await session.close()
        self._reads = self._writes = None
