"""Acks before answers: answer work waits for the acks already due, never for later ones."""

from __future__ import annotations

import asyncio

import pytest

from bot import door
from bot.door import AcksFirst


async def test_an_answer_waits_for_the_requests_already_in_the_door() -> None:
    acks = AcksFirst()
    first, second = acks.enter(), acks.enter()
    answer = asyncio.ensure_future(acks.after_acks())
    await asyncio.sleep(0.01)
    assert not answer.done()
    acks.leave(second)
    await asyncio.sleep(0.01)
    assert not answer.done()  # the first is still due
    later = acks.enter()  # arrived after the answer asked: it does not hold it back
    acks.leave(first)
    await asyncio.wait_for(answer, 1)
    acks.leave(later)


async def test_an_answer_goes_at_once_when_no_ack_is_due() -> None:
    acks = AcksFirst()
    acks.leave(acks.enter())
    await asyncio.wait_for(acks.after_acks(), 0.1)


async def test_an_answer_never_waits_longer_than_the_safety_net(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acks = AcksFirst()
    acks.enter()  # a request that never leaves
    monkeypatch.setattr(door, "ANSWERS_WAIT_AT_MOST", 0.05)
    await asyncio.wait_for(acks.after_acks(), 1)


async def test_a_request_still_sending_its_body_holds_no_answer_back() -> None:
    """A slow or hostile client trickling its body in must not delay everyone's answers."""
    from starlette.requests import Request

    from bot.door import SlackDoor

    sent_more = asyncio.Event()

    async def receive() -> dict[str, object]:
        if not sent_more.is_set():
            sent_more.set()
            return {"type": "http.request", "body": b"command=%2Fbinding", "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError("unreachable")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/slack/events",
        "headers": [(b"x-slack-request-timestamp", b"1"), (b"x-slack-signature", b"v0=0")],
        "query_string": b"",
    }
    door = SlackDoor(app=None, store=None, signing_secret="secret")  # type: ignore[arg-type]
    trickling = asyncio.ensure_future(door(Request(scope, receive)))
    await sent_more.wait()
    await asyncio.wait_for(door.acks_first.after_acks(), 0.1)  # nothing is due
    trickling.cancel()
