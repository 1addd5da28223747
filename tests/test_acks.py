"""Work that follows an ack yields to requests still waiting for theirs, but never starves."""

from __future__ import annotations

import asyncio

from bot.acks import AckFirst


async def test_settled_waits_while_a_request_awaits_its_ack() -> None:
    acks = AckFirst(max_wait=5.0)
    order: list[str] = []

    async def request() -> None:
        with acks.acking():
            await asyncio.sleep(0.05)
            order.append("acked")

    async def answer() -> None:
        await acks.settled()
        order.append("answer work")

    sending = asyncio.create_task(request())
    await asyncio.sleep(0)
    assert acks.pending == 1
    await asyncio.gather(answer(), sending)
    assert order == ["acked", "answer work"]
    assert acks.pending == 0


async def test_settled_returns_at_once_when_nothing_waits() -> None:
    acks = AckFirst(max_wait=5.0)
    await asyncio.wait_for(acks.settled(), 0.1)


async def test_a_stream_of_requests_delays_answers_only_up_to_max_wait() -> None:
    acks = AckFirst(max_wait=0.05)
    with acks.acking():
        # The request never acks here; the answer work goes ahead anyway.
        await asyncio.wait_for(acks.settled(), 2.0)
        assert acks.pending == 1
