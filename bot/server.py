"""Run modes: HTTP (Starlette + uvicorn) and Socket Mode (`bot.socket_mode`), one AsyncApp."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import build_app
from bot.check import CannotServe, startup_findings
from bot.deps import Deps, open_deps
from bot.door import SlackDoor
from bot.listeners import ListenerTasks
from bot.settings import Settings
from handlers.sweeper import sweeping

log = logging.getLogger("bot.server")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def http_app(bolt_app: AsyncApp, deps: Deps) -> Starlette:
    """`POST /slack/events` for Slack, `GET /healthz` for the orchestrator."""
    secret = deps.settings.slack_signing_secret
    door = SlackDoor(bolt_app, deps.store, secret.get_secret_value() if secret else None)

    async def events(request: Request) -> Response:
        return await door(request)

    async def healthz(_: Request) -> Response:
        store_ok = await deps.store.ping()
        return JSONResponse(
            {"ok": store_ok, "store": "ok" if store_ok else "unreachable"},
            status_code=200 if store_ok else 503,
        )

    return Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def tune_garbage_collector() -> None:
    """Keep the cycle collector's pauses out of the acks; call once, when the process starts.

    With Python's defaults a full collection walks every object the imports created (over
    100,000: slack_sdk, pydantic, SQLAlchemy, httpx) and took 70-120 ms here; during a
    burst every pending ack waited for it. Frozen objects are never walked again, and a
    larger first generation makes the collections that remain rarer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def serve_http(settings: Settings, *, host: str, port: int) -> None:
    """uvicorn in front of the Starlette adapter; SIGTERM drains in-flight work, then stops."""
    deps = await open_deps(settings, migrate_in_child=True)
    try:
        bolt_app = build_app(settings, deps)
        config = uvicorn.Config(
            http_app(bolt_app, deps),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=30,
        )
        log.info("serving over HTTP", extra={"port": port})
        async with sweeping(deps, bolt_app):
            with _survive_reraised_signals():
                await uvicorn.Server(config).serve()
            await drain_listeners(bolt_app)
    finally:
        await deps.aclose()


@contextmanager
def _survive_reraised_signals() -> Iterator[None]:
    """Keep the process alive when uvicorn re-raises the stop signal after its shutdown.

    uvicorn restores the handlers it found and raises SIGINT/SIGTERM again once it has
    stopped; with Python's defaults that ends the process before acked work has drained.
    """
    previous = {sig: signal.signal(sig, _note_signal) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _note_signal(signal_number: int, _: FrameType | None) -> None:
    log.info("stop signal", extra={"signal": signal.Signals(signal_number).name})


async def serve(
    settings: Settings, *, host: str, port: int, stop: asyncio.Event | None = None
) -> None:
    """Check what the bot needs, then serve in the mode the settings choose.

    Raises CannotServe (one line) when a dependency refuses the bot. A stop signal (or
    `stop`) ends it at any point, the checks included.
    """
    stop = stop or _stop_on_signals()
    checking = asyncio.create_task(startup_findings(settings))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({checking, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not checking.done():
        checking.cancel()
        log.info("stopped while checking the dependencies")
        return
    findings = checking.result()
    refused = [f.line for f in findings if f.problem is not None and f.problem.refused]
    if refused:
        raise CannotServe("; ".join(refused))
    for finding in findings:
        log.warning("cannot reach a dependency yet", extra={"problem": finding.line})
    if settings.slack_app_token is not None:
        # Imported here: an HTTP replica never loads Socket Mode's clients.
        from bot.socket_mode import serve_socket_mode

        await serve_socket_mode(settings, stop, drain=drain_listeners, host=host, port=port)
    else:
        _stop_taking_signals()  # uvicorn takes them over
        await serve_http(settings, host=host, port=port)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in _STOP_SIGNALS:
        loop.add_signal_handler(signal_number, _signalled, stop, signal_number)
    return stop


def _signalled(stop: asyncio.Event, signal_number: int) -> None:
    log.info("stop signal", extra={"signal": signal.Signals(signal_number).name})
    stop.set()


def _stop_taking_signals() -> None:
    loop = asyncio.get_running_loop()
    for signal_number in _STOP_SIGNALS:
        loop.remove_signal_handler(signal_number)


async def drain_listeners(app: AsyncApp, timeout: float = 30.0) -> None:
    """Let listeners that already acked finish their backend work before the process exits."""
    tracker = app.listener_runner.listener_start_handler
    if not isinstance(tracker, ListenerTasks):
        raise TypeError("build_app installs ListenerTasks; this app was built another way")
    await tracker.drain(timeout)
