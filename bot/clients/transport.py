"""An httpx transport that sends over aiohttp: httpx's client API, a cheaper connection pool.

httpx's own pool (httpcore) costs 0.5 to 2 ms of CPU per request in this app: on every
request start and end it re-checks every pooled connection, one `poll` per idle connection,
and a burst of lookups leaves a hundred of them. That CPU is taken from the event loop that
acks Slack. aiohttp (already installed: slack_sdk's async clients use it) keeps idle
connections in a per-host queue and costs about a tenth of that.

Only the wire changes: callers keep httpx's `AsyncClient` (base URL, auth, timeouts, typed
exceptions), and aiohttp's failures are raised as the httpx exceptions they correspond to.

One behaviour is taken away: aiohttp sends PUT and DELETE (like GET) a second time when the
connection is reset under them. A write may have been applied before the reset, so a write
goes out at most once; its reset is reported, and the caller says "outcome unknown".
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from yarl import URL

# httpx sets these itself; aiohttp must not add its own.
_SKIP_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})


# Methods that can change something on the server; never sent twice.
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _NotResent(aiohttp.ClientError):
    """aiohttp was about to send a write again after its connection failed."""


async def _one_attempt_per_write(_: Any, context: SimpleNamespace, __: Any) -> None:
    # Called as each attempt takes a connection; the context lives as long as the request.
    request: dict[str, bool] | None = context.trace_request_ctx
    if request is None or not request.get("write"):
        return
    if request.get("attempted"):
        raise _NotResent("the connection failed and the write was not sent again")
    request["attempted"] = True


def _writes_sent_once() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_connection_create_start.append(_one_attempt_per_write)
    config.on_connection_reuseconn.append(_one_attempt_per_write)
    return config


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 5.0) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp wants a running event loop.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=self._keepalive_expiry
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx decodes by Content-Encoding itself
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps cookies, not the wire
                trace_configs=[_writes_sent_once()],
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        body = await request.aread()
        try:
            async with self._open().request(
                request.method,
                URL(str(request.url), encoded=True),  # as httpx encoded it, not re-quoted
                headers=request.headers.multi_items(),
                data=body or None,
                timeout=timeout,
                allow_redirects=False,
                trace_request_ctx={"write": request.method in _WRITES},
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
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=content,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
