"""What a test reads off Slack: the replies a person sees, as text and as buttons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox.harness import AGENT, Sandbox
from bot.sandbox.http import serve_asgi
from bot.sandbox.slack import Ack, Message, View
from bot.store import AuditEntry

Json = dict[str, Any]


def _texts(node: Any) -> list[str]:
    """Every text a person can read in a block tree: sections, fields, buttons, options."""
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    if not isinstance(node, dict):
        return []
    found = [node["text"]] if isinstance(node.get("text"), str) else []
    for key, value in node.items():
        if key != "confirm" and isinstance(value, dict | list):
            found += _texts(value)
    return found


def text_of(blocks_or_message: Message | list[Json] | View) -> str:
    if isinstance(blocks_or_message, Message):
        blocks = blocks_or_message.blocks
    elif isinstance(blocks_or_message, View):
        blocks = blocks_or_message.view["blocks"]
    else:
        blocks = blocks_or_message
    return "\n".join(_texts(blocks))


def elements(message: Message | View, action_id: str) -> list[Json]:
    blocks = message.blocks if isinstance(message, Message) else message.view["blocks"]
    found: list[Json] = []
    for block in blocks:
        candidates = [block.get("accessory"), *list(block.get("elements") or [])]
        candidates.append(block.get("element"))
        found += [e for e in candidates if isinstance(e, dict) and e.get("action_id") == action_id]
    return found


def button(message: Message | View, action_id: str) -> Json:
    found = elements(message, action_id)
    assert found, f"no {action_id} in {text_of(message)}"
    return found[0]


async def reply(sandbox: Sandbox, ack: Ack, *, count: int = 1) -> Message:
    """The `count`-th message posted through the response_url this ack came with."""
    assert ack.status == 200, ack
    assert ack.response_url is not None
    url_id = ack.response_url.rsplit("/", 1)[-1]

    def posted() -> Message | None:
        mine = [m for m in sandbox.slack.messages if m.response_url_id == url_id]
        return mine[count - 1] if len(mine) >= count else None

    return await sandbox.slack.wait_for(posted)


async def settled(sandbox: Sandbox, message: Message, predicate: Any) -> Message:
    """Wait until the message (updated in place) satisfies `predicate`."""
    await sandbox.slack.wait_for(lambda: predicate(message) or None)
    return message


async def command(
    sandbox: Sandbox, command: str, text: str, *, user: str = AGENT, **kwargs: Any
) -> Message:
    """Type a slash command and return the reply it gets (ack or response_url), once final."""
    ack = await sandbox.slack.slash_command(command, text, user_id=user, **kwargs)
    message = await reply(sandbox, ack)
    await sandbox.slack.wait_for(lambda: not _is_placeholder(message))
    return message


def _is_placeholder(message: Message) -> bool:
    return ":hourglass_flowing_sand:" in text_of(message)


async def modal(sandbox: Sandbox, user: str = AGENT, *, loaded: bool = True) -> View:
    """The modal on top of the user's screen (once it has left its loading state)."""

    def current() -> View | None:
        view = sandbox.slack.current_view(user)
        if view is None or (loaded and ":hourglass_flowing_sand:" in text_of(view)):
            return None
        return view

    return await sandbox.slack.wait_for(current)


async def audited(
    sandbox: Sandbox, count: int, *, feature: str | None = None, timeout: float = 5.0
) -> list[AuditEntry]:
    """The audit log once it holds `count` entries: it is written after the ack, not before."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        entries = await sandbox.deps.store.recent_audit(100, feature=feature)
        if len(entries) >= count or asyncio.get_running_loop().time() > deadline:
            return entries
        await asyncio.sleep(0.01)


@asynccontextmanager
async def elsewhere() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A host that is not Slack, recording what is POSTed to it: a forged response_url."""
    received: list[bytes] = []

    async def record(request: Request) -> Response:
        received.append(await request.body())
        return Response("ok")

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    async with serve_asgi(app) as base_url:
        yield f"{base_url}/hook", received


async def side_effects(sandbox: Sandbox) -> tuple[int, ...]:
    """What a request could have changed: backend calls, Slack calls, responses, audit rows."""
    audit = await sandbox.deps.store.recent_audit(200)
    return (
        len(sandbox.bangwo8.requests),
        len(sandbox.user_customer.requests),
        len(sandbox.slack.calls),
        len(sandbox.slack.response_posts),
        len(audit),
    )
