"""HTTP/1.1 for the driver, through h11: signed commands out, response_url posts in.

The driver must cost little and add no latency of its own, so it speaks HTTP over raw
asyncio streams (one connection per command, as Slack opens them) with h11 doing the
parsing, rather than through a full client.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import h11


@dataclass
class Sample:
    """One command: when it was sent, and when the last byte of its ack was read."""

    id: str
    sent: float
    acked: float | None = None
    status: int = 0
    error: str | None = None

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked is None else self.acked - self.sent


@dataclass(frozen=True)
class Outgoing:
    """A request built before it is timed; the connection closes after its answer."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def events(self, port: int) -> list[h11.Request | h11.Data | h11.EndOfMessage]:
        headers = [("Host", f"127.0.0.1:{port}"), *self.headers, ("Connection", "close")]
        headers.append(("Content-Length", str(len(self.body))))
        request = h11.Request(method=self.method, target=self.target, headers=headers)
        return [request, h11.Data(data=self.body), h11.EndOfMessage()]


async def exchange(
    port: int, request: Outgoing, sample: Sample, body: bytearray | None = None
) -> Sample:
    """Send one request on a fresh connection and time it to the last byte of the answer.

    The answer's body is appended to `body` when one is given.
    """
    writer: asyncio.StreamWriter | None = None
    conn = h11.Connection(h11.CLIENT)
    wire = b"".join(conn.send(event) or b"" for event in request.events(port))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(wire)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                sample.status = event.status_code
            elif isinstance(event, h11.Data) and body is not None:
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                sample.acked = time.perf_counter()
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("closed before the answer ended")
    except (OSError, h11.ProtocolError) as error:
        sample.error = type(error).__name__
    finally:
        if writer is not None:
            writer.close()
    return sample


OnPost = Callable[[str, bytes], None]

_OK = [("Content-Type", "application/json"), ("Content-Length", "11")]


class PostSink:
    """An HTTP server that calls `on_post(path, body)` for every request and answers 200."""

    def __init__(self, on_post: OnPost) -> None:
        self._on_post = on_post
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        target, body = "", b""
        with contextlib.suppress(ConnectionError, h11.ProtocolError):
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    if not data and conn.their_state is h11.IDLE:
                        break
                elif isinstance(event, h11.Request):
                    target, body = event.target.decode(), b""
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    self._on_post(target, body)
                    writer.write(conn.send(h11.Response(status_code=200, headers=_OK)) or b"")
                    writer.write(conn.send(h11.Data(data=b'{"ok":true}')) or b"")
                    writer.write(conn.send(h11.EndOfMessage()) or b"")
                    await writer.drain()
                    if conn.our_state is h11.MUST_CLOSE:
                        break
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    break
        writer.close()
