"""Run an ASGI app on a free loopback port inside the current event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn


def bind_loopback(port: int = 0) -> socket.socket:
    # IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted sockets; without it every answer
    # waits out the 40 ms delayed-ACK timer.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, told to stop by an event rather than noticing on its 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop = asyncio.Event()

    async def main_loop(self) -> None:
        await self.on_tick(0)  # the Date header, once: nothing here lives long
        await self.stop.wait()


async def _start(app: Any, port: int) -> tuple[_Server, asyncio.Task[None], str]:
    sock = bind_loopback(port)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    host, bound_port = sock.getsockname()[:2]
    return server, task, f"http://{host}:{bound_port}"


async def _stop(running: list[tuple[_Server, asyncio.Task[None], str]]) -> None:
    # Together: each takes about 0.1 s to let its connections go.
    for server, _, _ in running:
        server.should_exit = True
        server.stop.set()
    await asyncio.gather(*(task for _, task, _ in running))


@asynccontextmanager
async def serve_asgi(app: Any, *, port: int = 0) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 and yield its base URL (no trailing slash)."""
    async with serve_asgi_together(app, port=port) as (url,):
        yield url


@asynccontextmanager
async def serve_asgi_together(*apps: Any, port: int = 0) -> AsyncIterator[tuple[str, ...]]:
    """Serve each app on a port of its own (the first on `port`); they stop together."""
    running: list[tuple[_Server, asyncio.Task[None], str]] = []
    try:
        for index, app in enumerate(apps):
            running.append(await _start(app, port if index == 0 else 0))
        yield tuple(url for _, _, url in running)
    finally:
        await _stop(running)
