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


@asynccontextmanager
async def serve_asgi(app: Any, *, port: int = 0) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 and yield its base URL (no trailing slash)."""
    sock = bind_loopback(port)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    host, bound_port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
