"""Draining finds the work bolt runs after an ack through bolt's listener start handler."""

from __future__ import annotations

import json

from bot.listeners import ListenerTasks
from bot.sandbox.harness import Sandbox
from bot.server import drain_listeners


async def test_drain_waits_for_the_acked_listener_and_no_longer_than_asked(
    sandbox: Sandbox,
) -> None:
    sandbox.bangwo8.faults.inject(latency=1.2, method="GET")
    tracker = sandbox.app.listener_runner.listener_start_handler
    assert isinstance(tracker, ListenerTasks)

    ack = await sandbox.slack.slash_command("/binding", "30851821 dd")
    assert ack.status == 200
    [running] = tracker.running  # the lookup, acked, waiting on the slow backend

    await drain_listeners(sandbox.app, timeout=0.05)
    assert not running.done()  # a drain is bounded

    await drain_listeners(sandbox.app, timeout=10)
    assert running.done() and not tracker.running
    answers = [json.dumps(post.body) for post in sandbox.slack.response_posts]
    assert any("`10014850`" in answer for answer in answers)


async def test_nothing_to_drain_returns_at_once(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "help")
    tracker = sandbox.app.listener_runner.listener_start_handler
    assert isinstance(tracker, ListenerTasks)
    await sandbox.slack.wait_for(lambda: not tracker.running)
    await drain_listeners(sandbox.app, timeout=10)
