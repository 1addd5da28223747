"""Socket Mode: Slack's websocket instead of a public URL, with a health endpoint of its own.

Stoppable in every state: the connection is made in a task of its own, so a stop signal
does not wait for a connect that may never succeed; closing is bounded too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.app import build_app
from bot.check import CannotServe
from bot.deps import open_deps
from bot.settings import Settings
from handlers.sweeper import sweeping

log = logging.getLogger("bot.socket_mode")

# Seconds between liveness pings. aiohttp closes a connection whose pong is over half an
# interval late, and slack_sdk replaces a closed one at its next check, an interval later:
# a dead connection is replaced within about 2.5 intervals (with slack_sdk's default of 10 s
# a dropped connection went unnoticed for up to 19 s). Also the pause between attempts to
# connect while Slack cannot be reached.
PING_INTERVAL = 2.0
# Closing waits for Slack's close frame, which a dead connection never sends.
CLOSE_TIMEOUT = 3.0

Drain = Callable[[AsyncApp], Awaitable[None]]


async def serve_socket_mode(
    settings: Settings, stop: asyncio.Event, *, drain: Drain, host: str, port: int
) -> None:
    """Connect, serve until `stop` is set, then close the socket and drain acked work."""
    assert settings.slack_app_token is not None
    deps = await open_deps(settings, migrate_in_child=True)
    try:
        bolt_app = build_app(settings, deps)
        handler = AsyncSocketModeHandler(
            bolt_app,
            settings.slack_app_token.get_secret_value(),
            ping_interval=PING_INTERVAL,
        )
        client: SocketModeClient = handler.client

        async def healthy() -> tuple[bool, dict[str, str]]:
            socket_ok = await client.is_connected()
            store_ok = await deps.store.ping()
            return socket_ok and store_ok, {
                "socket": "connected" if socket_ok else "down",
                "store": "ok" if store_ok else "unreachable",
            }

        try:
            async with health_endpoint(healthy, host=host, port=port), sweeping(deps, bolt_app):
                connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
                connecting.add_done_callback(_log_connected)
                try:
                    await stop.wait()
                finally:
                    log.info("closing the Socket Mode connection")
                    connecting.cancel()
                    await _close(client)
                    await drain(bolt_app)
        finally:
            # The client opened its HTTP session when it was made: closed however serving
            # ended, a refused health port included.
            if not client.aiohttp_client_session.closed:
                await client.aiohttp_client_session.close()
    finally:
        await deps.aclose()


def _log_connected(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is None:
        log.info("connected in Socket Mode")


async def _close(client: SocketModeClient) -> None:
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await client.close()  # type: ignore[no-untyped-call]
    except TimeoutError:
        log.warning("Slack did not answer the close in time; the connection was dropped")
        # close() had stopped its tasks before it waited; what is left is the HTTP session.
        with suppress(OSError):
            await client.aiohttp_client_session.close()


HealthProbe = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]


@asynccontextmanager
async def health_endpoint(probe: HealthProbe, *, host: str, port: int) -> AsyncIterator[None]:
    """`GET /healthz` on host:port: 200 while the socket is up and the store answers, else 503."""

    async def healthz(_: web.Request) -> web.Response:
        ok, parts = await probe()
        return web.json_response({"ok": ok, **parts}, status=200 if ok else 503)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            raise CannotServe(
                f"cannot listen on {host}:{port} for /healthz: {error.strerror}; use --port"
            ) from None
        log.info("health endpoint", extra={"port": port})
        yield
    finally:
        await runner.cleanup()
