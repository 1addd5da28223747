"""The HTTP door: Slack's signature is checked on the raw bytes before anything reads them.

Order, for every `POST /slack/events`:
1. read at most MAX_BODY bytes (413 beyond);
2. verify the signature with slack_sdk's SignatureVerifier, after checking the headers are
   what Slack sends (ASCII digits, `v0=` and 64 hex digits): anything else is a 401 with no
   side effect, and nothing of the body is logged or parsed;
3. parse the body as bolt does, and check its envelope (`bot.payloads`): 400 when no
   listener could read it;
4. note the request in the store (`first_sighting`): a signature, or an Events API
   delivery id, seen before is answered without running again, in every replica;
5. hand it to bolt, marked verified.

Bolt's own check stays in place as a second line (`QuietRequestVerification`): it logs a
refusal without the body, which bolt's logs whole.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.payloads import check_envelope, event_id_of
from bot.store import ApprovalStore

log = logging.getLogger("bot.door")

# Slack's own payloads stay far below this; a view with 100 full blocks is about 1 MB.
MAX_BODY = 4 * 1024 * 1024
# Slack's window: a signature older (or newer) than this is refused, so a replay has to
# come within it, and a seen signature is only kept that long on each side.
WINDOW_SECONDS = 5 * 60
# Slack retries an event delivery after 1 minute and after 5: its id is kept longer.
EVENT_ID_KEPT = timedelta(hours=1)
# Marks, in bolt's context, a request whose signature was checked (or a Socket Mode one).
VERIFIED = "verified"
# In bolt's context: the future an ack resolves the moment a listener sends it.
ACK_SENT = "ack_sent"
# In bolt's context: what answer work awaits first, so the acks already due go out before it.
AFTER_ACKS = "after_acks"
# A safety net: answer work never waits longer than this for acks (a burst of 200 took 0.2 s).
ANSWERS_WAIT_AT_MOST = 0.5


class AcksFirst:
    """Lets answer work wait until every request that reached the door before it has its ack.

    A burst of commands arrives together; without this, each listener went on to its answer
    right after its own ack, and the acks still due waited behind those answers (the last
    of 50 acked at twice the time of an app that only acks). Requests arriving later do not
    hold an answer back: it waits only for those already in the door when it asks.
    """

    def __init__(self) -> None:
        self._issued = 0
        self._in_door: dict[int, None] = {}  # tickets, oldest first
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    def enter(self) -> int:
        self._issued += 1
        self._in_door[self._issued] = None
        return self._issued

    def leave(self, ticket: int) -> None:
        del self._in_door[ticket]
        oldest = next(iter(self._in_door), self._issued + 1)
        while self._waiting and self._waiting[0][0] < oldest:
            _, waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def after_acks(self) -> None:
        """Return once every request in the door now has left it (acked or refused)."""
        upto = self._issued
        if not self._in_door or next(iter(self._in_door)) > upto:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((upto, waiter))
        with suppress(TimeoutError):
            await asyncio.wait_for(waiter, ANSWERS_WAIT_AT_MOST)


_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def unverified_because(
    verifier: SignatureVerifier, body: bytes, timestamp: str | None, signature: str | None
) -> str | None:
    """Why the request cannot be trusted (a few words, nothing from it), or None.

    SignatureVerifier raises instead of answering False on a non-numeric timestamp
    (`int()`), a non-ASCII signature (`compare_digest`) or a body that is not UTF-8, and
    `int()` takes `+1`, `1_0` and other scripts' digits: the headers are checked first.
    """
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        return "timestamp missing or not a number"
    if signature is None or not _SIGNATURE.fullmatch(signature):
        return "signature missing or malformed"
    if abs(verifier.clock.now() - int(timestamp)) > WINDOW_SECONDS:
        return "timestamp outside the 5-minute window"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    if not verifier.is_valid(body, timestamp, signature):
        return "signature does not match"
    return None


class QuietRequestVerification(AsyncRequestVerification):
    """Bolt's check, in bolt's place, without logging the body of what it refuses.

    Socket Mode requests come over the authenticated websocket and are marked verified;
    without a signing secret (Socket Mode only) every HTTP request is refused.
    """

    def __init__(self, signing_secret: str | None) -> None:
        super().__init__(signing_secret or "")
        self._has_secret = signing_secret is not None

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if req.mode != "socket_mode":
            why = (
                "no signing secret"
                if not self._has_secret
                else unverified_because(
                    self.verifier,
                    req.raw_body.encode(),
                    _first(req.headers.get("x-slack-request-timestamp")),
                    _first(req.headers.get("x-slack-signature")),
                )
            )
            if why is not None:
                log.warning("refused unverified request", extra={"why": why, "layer": "bolt"})
                return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[VERIFIED] = True
        return await next()


def _first(values: Any) -> str | None:
    return values[0] if isinstance(values, list | tuple) and values else None


class SlackDoor:
    """The Starlette endpoint in front of bolt."""

    def __init__(self, app: AsyncApp, store: ApprovalStore, signing_secret: str | None) -> None:
        self.app = app
        self.store = store
        # Settings require the secret in HTTP mode; without one nothing is let in.
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        # Dispatches still finishing after their ack went out: held so they are not collected.
        self._dispatching: set[asyncio.Future[BoltResponse]] = set()
        self.acks_first = AcksFirst()

    async def __call__(self, request: Request) -> Response:
        body = await _read_at_most(request, MAX_BODY)
        if body is None:
            log.info("refused oversized request", extra={"limit": MAX_BODY})
            return JSONResponse({"error": "request too large"}, status_code=413)
        why = (
            unverified_because(
                self.verifier,
                body,
                request.headers.get("x-slack-request-timestamp"),
                request.headers.get("x-slack-signature"),
            )
            if self.verifier
            else "no signing secret"
        )
        if why is not None:
            log.info("refused unverified request", extra={"why": why, "bytes": len(body)})
            return JSONResponse({"error": "invalid request"}, status_code=401)
        text = body.decode("utf-8")
        parsed = _parsed(text, request.headers.get("content-type"))
        problem = "body is not a JSON object or form" if parsed is None else check_envelope(parsed)
        if parsed is None or problem is not None:
            log.info("refused unreadable request", extra={"why": problem})
            return JSONResponse({"error": "unreadable request"}, status_code=400)
        # Only a verified, readable request holds answers back while its ack is due: one that
        # trickles its body in, or fails its signature, never does.
        ticket = self.acks_first.enter()
        try:
            return await self._verified(request, text, parsed)
        finally:
            self.acks_first.leave(ticket)

    async def _verified(self, request: Request, text: str, parsed: dict[str, Any]) -> Response:
        replayed = await self._replayed(parsed, request.headers["x-slack-signature"])
        if replayed is not None:
            return replayed
        acked: asyncio.Future[BoltResponse] = asyncio.get_running_loop().create_future()
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_params,  # type: ignore[arg-type]
            headers=request.headers,  # type: ignore[arg-type]
            context={VERIFIED: True, ACK_SENT: acked, AFTER_ACKS: self.acks_first.after_acks},
        )
        return to_starlette_response(await self._first_answer(bolt_request, acked))

    async def _first_answer(
        self, request: AsyncBoltRequest, acked: asyncio.Future[BoltResponse]
    ) -> BoltResponse:
        """The ack the moment a listener sends it, or bolt's answer when that comes first.

        Bolt's runner looks for the ack every 10 ms, and under load its next look waits its
        turn behind the answers being built: the ack went out 10-100 ms after it was sent.
        The runner then returns that same ack, which nobody needs any more.
        """
        dispatching = asyncio.ensure_future(self.app.async_dispatch(request))
        await asyncio.wait((dispatching, acked), return_when=asyncio.FIRST_COMPLETED)
        if dispatching.done():
            return dispatching.result()
        self._dispatching.add(dispatching)
        dispatching.add_done_callback(self._dispatched)
        return acked.result()

    def _dispatched(self, dispatching: asyncio.Future[BoltResponse]) -> None:
        self._dispatching.discard(dispatching)
        if not dispatching.cancelled() and (error := dispatching.exception()) is not None:
            log.error("dispatch failed after the ack", exc_info=error)

    async def _replayed(self, parsed: dict[str, Any], signature: str) -> Response | None:
        """The answer to a request already run (here or in another replica), or None."""
        now = datetime.now(UTC)
        event_id = event_id_of(parsed)
        if event_id is not None:
            # Slack signs each retry afresh; the delivery id is what stays the same.
            if await self.store.first_sighting(f"event:{event_id}", now=now, keep=EVENT_ID_KEPT):
                return None
            log.info("event already handled", extra={"event_id": event_id})
            return Response(status_code=200)
        # A signature verifies for WINDOW_SECONDS either side of now: keep it as long.
        keep = timedelta(seconds=2 * WINDOW_SECONDS)
        if await self.store.first_sighting(f"sig:{signature[3:]}", now=now, keep=keep):
            return None
        log.warning("refused replayed request")
        return JSONResponse({"error": "request already handled"}, status_code=409)


def _parsed(text: str, content_type: str | None) -> dict[str, Any] | None:
    """The body as bolt will read it, or None when bolt could not."""
    try:
        parsed = parse_body(text, content_type)
    except ValueError:  # json.JSONDecodeError
        return None
    return parsed if isinstance(parsed, dict) else None


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
