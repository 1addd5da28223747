"""The benchmark's lean reference does the same work as the app: the same answer, bar the footer.

Its figures are only a fair yardstick if it sends the same requests and shows the same cards.
"""

from __future__ import annotations

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.load.lean import lean_app
from bot.sandbox.harness import Sandbox
from bot.sandbox.http import serve_asgi
from tests.helpers import command


def without_footer(blocks: list[dict[str, object]]) -> list[dict[str, object]]:
    """All but the footer (the reference, the time taken) and the ids Slack gives blocks."""
    return [{k: v for k, v in block.items() if k != "block_id"} for block in blocks[:-1]]


async def test_the_lean_reference_answers_a_lookup_as_the_app_does(sandbox: Sandbox) -> None:
    contact = "30851821"  # two bindings, two empty sources, a remark to escape
    by_app = await command(sandbox, "/binding", contact)
    app_gets = [r.params for r in sandbox.bangwo8.requests if r.method == "GET"]

    urls = {"slack_api": sandbox.slack.api_url, "bangwo8": sandbox.settings.bangwo8_base_url}
    app, close = lean_app(urls, sandbox.slack.signing_secret, sandbox.slack.bot_token)
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    lean = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    before = len(sandbox.bangwo8.requests)
    async with serve_asgi(lean) as lean_url:
        sandbox.slack.app_url = f"{lean_url}/slack/events"
        by_lean = await command(sandbox, "/binding", contact)
    await close()
    lean_gets = [r.params for r in sandbox.bangwo8.requests[before:] if r.method == "GET"]

    assert without_footer(by_lean.blocks) == without_footer(by_app.blocks)
    assert sorted(map(str, lean_gets)) == sorted(map(str, app_gets))
