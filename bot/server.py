"""Run modes: HTTP (Starlette + uvicorn) and Socket Mode, around the same AsyncApp."""

from __future__ import annotations

import logging

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.deps import Deps

log = logging.getLogger("bot.server")


def http_app(bolt_app: AsyncApp, deps: Deps) -> Starlette:
    """`POST /slack/events` for Slack, `GET /healthz` for the orchestrator."""
    slack = AsyncSlackRequestHandler(bolt_app)

    async def events(request: Request) -> Response:
        return await slack.handle(request)

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
