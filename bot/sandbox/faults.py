"""Request recording and fault injection shared by the emulated backends.

Every emulator funnels each request through `intercept`: it is recorded first (so tests see
even the requests that hang or fail), then the armed faults get their chance to delay it,
swallow it, reset the connection or answer in its place; a fault marked `applied` acts only
after the emulator has applied the request (a write that took effect, then no answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# Bounds a hang whose client never gives up, so a forgotten fault cannot pin a server forever.
HANG_LIMIT_SECONDS = 600.0


@dataclass
class Fault:
    """One armed misbehaviour; matches on method, path (exact or suffix) and parameters."""

    latency: float = 0.0
    status: int | None = None
    body: str | None = None
    hang: bool = False
    # Drop the connection with a TCP reset instead of answering.
    reset: bool = False
    # Let the emulator apply the request first; the fault then replaces or withholds its answer.
    applied: bool = False
    times: int | None = None
    method: str | None = None
    path: str | None = None
    params: dict[str, str] | None = None

    def matches(self, method: str, path: str, params: dict[str, Any]) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None and not path.endswith(self.path):
            return False
        return all(
            key in params and stringify(params[key]) == str(value)
            for key, value in (self.params or {}).items()
        )

    @property
    def answers(self) -> bool:
        return self.status is not None or self.body is not None


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, Any]
    at: float


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)

    def inject(self, **kwargs: Any) -> Fault:
        known = {f.name for f in fields(Fault)}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"unknown fault fields: {sorted(unknown)}")
        fault = Fault(**kwargs)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path, params):
                self._spend(fault)
                return fault
        return None

    def _spend(self, fault: Fault) -> None:
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0:
            self.faults.remove(fault)


def stringify(value: Any) -> str:
    """Parameters compare as the text a client would have typed, whatever the encoding."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def parse_int(value: Any) -> int | None:
    """Ids arrive as ints or digit strings; anything else is not an id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters of a JSON or urlencoded body; anything else (multipart, garbage) gives {}.

    Never raises: a malformed body must still be recorded, and the emulator then reports
    the missing parameters the way the backend would.
    """
    if not body:
        return {}
    text = body.decode("utf-8", errors="replace")
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    if "multipart/" in content_type:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


async def record_request(request: Request) -> RecordedRequest:
    body = await request.body()
    query = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    return RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=query,
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        params={**query, **parse_body(content_type, body)},
        at=time.time(),
    )


async def intercept(
    request: Request,
    log: list[RecordedRequest],
    plan: FaultPlan,
    serve: Callable[[RecordedRequest], Awaitable[Response]],
) -> Response:
    """Record the request, apply the first matching fault, and let `serve` answer the rest."""
    recorded = await record_request(request)
    log.append(recorded)
    fault = plan.take(recorded.method, recorded.path, recorded.params)
    if fault is None:
        return await serve(recorded)
    if fault.applied:
        answer = await serve(recorded)
        return await apply_fault(fault, request) or answer
    return await apply_fault(fault, request) or await serve(recorded)


async def apply_fault(fault: Fault, request: Request) -> Response | None:
    """Delay, hang, reset or answer for `fault`; None means the emulator's answer stands.

    A plain latency does not watch the client: a write delayed past the client's timeout is
    still applied, which is exactly the "outcome unknown" case a client must cope with. A
    hang never reaches the emulator (unless `applied`), so a hung write is not applied.
    """
    if fault.latency > 0:
        await asyncio.sleep(fault.latency)
    if fault.reset:
        reset_connection(request)
        return _gave_up()  # never reaches the client: uvicorn drops sends on a lost connection
    if fault.hang:
        await _wait_for_disconnect(request)
        return fault_response(fault) if fault.answers else _gave_up()
    return fault_response(fault) if fault.answers else None


def reset_connection(request: Request) -> None:
    """Abort the request's TCP connection with a reset (RST), as a failing proxy would.

    uvicorn's `receive` is a method of its per-request cycle, which holds the transport.
    """
    transport = request.receive.__self__.transport  # type: ignore[attr-defined]
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: close() sends RST rather than FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _wait_for_disconnect(request: Request) -> None:
    # The body has been read already, so the next ASGI message is the client going away;
    # uvicorn does not cancel handlers on disconnect, so waiting for it is what ends a hang.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(HANG_LIMIT_SECONDS):
            while (await request.receive())["type"] != "http.disconnect":
                pass


def _gave_up() -> Response:
    return JSONResponse({"error": "injected hang ended"}, status_code=504)


def fault_response(fault: Fault) -> Response:
    status = fault.status if fault.status is not None else 200
    if fault.body is None:
        return JSONResponse({"error": "injected fault", "status": status}, status_code=status)
    # Error pages from proxies are HTML; everything else is served as (possibly broken) JSON.
    is_html = fault.body.lstrip().startswith("<")
    media_type = "text/html" if is_html else "application/json"
    return Response(fault.body, status_code=status, media_type=media_type)
