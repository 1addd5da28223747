"""The child processes: emulated backends, the bare ack-only app, the lean reference app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
from typing import Any

SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox"
TEAM = "T0SANDBOX"
# Contacts seeded with two bindings each, so concurrent lookups can each ask for another.
FIRST_CONTACT, CONTACTS = 70100000, 1000

Json = dict[str, Any]


async def serve_backends() -> None:
    """Emulated Slack Web API, bangwo8 and UserCustomer; prints their URLs as one JSON line.

    A control endpoint sets bangwo8's latency between phases (`POST /latency`) and says how
    many GETs bangwo8 received since (`GET /requests`).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from bot.sandbox.bangwo8 import Bangwo8Emulator
    from bot.sandbox.http import serve_asgi
    from bot.sandbox.slack import SlackEmulator
    from bot.sandbox.user_customer import UserCustomerEmulator

    slack = SlackEmulator(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, team_id=TEAM)
    bangwo8 = Bangwo8Emulator()
    user_customer = UserCustomerEmulator()
    bangwo8.seed_sample()
    user_customer.seed_sample()
    for cid in range(FIRST_CONTACT, FIRST_CONTACT + CONTACTS):  # like the sample contact
        bangwo8.add_binding(cid, "dingding", f"dd-{cid}", aid=cid % 1000)
        bangwo8.add_binding(
            cid, "wechat", f"oWx_{cid}", app_id="wx8a1b2c3d", remark="<!here> & <i>"
        )

    async def set_latency(request: Request) -> Response:
        wanted: Json = await request.json()
        bangwo8.faults.clear()
        bangwo8.requests.clear()  # the emulator records every request; keep this process small
        slow_source = wanted.get("slow_source")
        if slow_source:
            bangwo8.faults.inject(
                latency=float(wanted["slow_latency"]),
                method="GET",
                params={"account_source": slow_source},
            )
        bangwo8.faults.inject(latency=float(wanted["latency"]), method="GET")
        return JSONResponse({"ok": True})

    async def requests(_: Request) -> Response:
        return JSONResponse({"gets": sum(1 for r in bangwo8.requests if r.method == "GET")})

    control = Starlette(
        routes=[
            Route("/latency", set_latency, methods=["POST"]),
            Route("/requests", requests, methods=["GET"]),
        ]
    )
    async with contextlib.AsyncExitStack() as stack:
        slack.base_url = await stack.enter_async_context(serve_asgi(slack.app))
        urls = {
            "slack_api": slack.api_url,
            "bangwo8": await stack.enter_async_context(serve_asgi(bangwo8.app)),
            "user_customer": await stack.enter_async_context(serve_asgi(user_customer.app)),
            "control": await stack.enter_async_context(serve_asgi(control)),
        }
        print(json.dumps(urls), flush=True)
        await until_terminated()
        # Emulators keep nothing worth a graceful stop, and uvicorn would wait for every
        # request still sleeping out an injected latency.
        os._exit(0)


async def until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()


async def serve_bolt(app: Any, port: int) -> None:
    """An AsyncApp behind the same Starlette adapter and uvicorn configuration as the app."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    asgi = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    # As `bot.server.tune_garbage_collector` does for the app (imported, it would bring the
    # whole app into this process).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_config=None, access_log=False)
    await uvicorn.Server(config).serve()


async def serve_bare(port: int, urls: Json) -> None:
    """The framework floor: an AsyncApp whose `/binding` only acks, logging as the app does."""
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot import logs

    logs.configure()  # as the app: INFO and up, as JSON lines
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=urls["slack_api"]),
        process_before_response=False,
    )

    async def binding(ack: AsyncAck) -> None:
        await ack()

    app.command("/binding")(binding)
    await serve_bolt(app, port)


async def serve_lean(port: int, urls: Json) -> None:
    from benchmarks.load.lean import lean_app
    from bot import logs

    logs.configure(logging.WARNING)
    app, _ = lean_app(urls, SIGNING_SECRET, BOT_TOKEN)  # the process ends with its sessions
    await serve_bolt(app, port)


def run_role(role: str, port: int, urls: Json) -> None:
    if role == "backends":
        asyncio.run(serve_backends())
    elif role == "bare":
        asyncio.run(serve_bare(port, urls))
    elif role == "lean":
        asyncio.run(serve_lean(port, urls))
    elif role == "app-at-once":
        serve_app_at_once(port)
    else:
        raise SystemExit(f"unknown role {role}")


def serve_app_at_once(port: int) -> None:
    """support-bot as production starts it, except that answer work never waits for the
    acks of requests already in the door (`AcksFirst`): what that scheduling buys and costs."""
    from bot import door
    from bot.cli import main

    async def at_once(_: door.AcksFirst) -> None:
        return None

    door.AcksFirst.after_acks = at_once  # type: ignore[method-assign,assignment]
    raise SystemExit(main(["serve", "--host", "127.0.0.1", "--port", str(port)]))
