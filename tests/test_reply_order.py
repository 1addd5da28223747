"""A slash command's replies reach the person in an order Slack promises.

Slack applies an ack's message when its HTTP response arrives and the app's response_url
posts as they arrive: nothing orders the two. A lookup must end on its answer whichever
lands first, and a fast lookup costs one response_url post.
"""

from __future__ import annotations

from bot.sandbox.harness import AGENT, Sandbox
from bot.sandbox.slack import Ack, Message
from tests.helpers import text_of


def _shown(sandbox: Sandbox, ack: Ack) -> list[Message]:
    assert ack.response_url is not None
    url_id = ack.response_url.rsplit("/", 1)[-1]
    return [
        m for m in sandbox.slack.messages if m.response_url_id == url_id and m.visible_to(AGENT)
    ]


async def test_a_fast_lookup_ends_on_its_answer_however_late_the_ack_lands(
    sandbox: Sandbox,
) -> None:
    sandbox.slack.ack_transit = 0.6  # the ack reaches Slack well after the app's first post
    ack = await sandbox.slack.slash_command("/binding", "30851821 dd")
    await sandbox.slack.wait_for_response_posts(1)

    [answer] = _shown(sandbox, ack)
    assert "`10014850`" in text_of(answer)
    assert len(sandbox.slack.response_posts) == 1  # no placeholder for a fast answer


async def test_a_slow_lookup_shows_a_placeholder_then_replaces_it(sandbox: Sandbox) -> None:
    sandbox.bangwo8.faults.inject(latency=1.6)
    ack = await sandbox.slack.slash_command("/binding", "30851821 dd")
    waiting = await sandbox.slack.wait_for(lambda: next(iter(_shown(sandbox, ack)), None))
    assert "Looking up" in text_of(waiting)

    await sandbox.slack.wait_for(lambda: "`10014850`" in text_of(waiting))
    assert _shown(sandbox, ack) == [waiting]  # replaced in place, not added below
    assert len(sandbox.slack.response_posts) == 2


async def test_a_slow_list_replaces_its_placeholder(sandbox: Sandbox) -> None:
    sandbox.user_customer.faults.inject(latency=1.6)
    ack = await sandbox.slack.slash_command("/uc", "list user=998")
    waiting = await sandbox.slack.wait_for(lambda: next(iter(_shown(sandbox, ack)), None))
    assert "Looking up" in text_of(waiting)

    await sandbox.slack.wait_for(
        lambda: "relation" in text_of(waiting) and "Looking" not in text_of(waiting)
    )
    assert _shown(sandbox, ack) == [waiting]
