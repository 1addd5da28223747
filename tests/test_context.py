"""The app's one middleware: each listener gets who asked, where, the reference and the reply
channels by name, read from the request once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.respond import PooledRespond
from bot.sandbox.harness import AGENT, Sandbox
from handlers.context import Invocation, InvocationMiddleware, StickyAck


def _app(sandbox: Sandbox, seen: list[Invocation]) -> AsyncApp:
    settings = sandbox.deps.settings
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    app = AsyncApp(client=client, request_verification_enabled=False, process_before_response=True)
    app.use(InvocationMiddleware(sandbox.deps))

    async def listener(here: Invocation) -> None:
        seen.append(here)
        await here.ack()

    app.action("probe")(listener)
    app.command("/probe")(listener)
    app.view("probe")(listener)
    return app


def _form(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


async def test_a_button_s_invocation(sandbox: Sandbox) -> None:
    seen: list[Invocation] = []
    body = _form(
        {
            "type": "block_actions",
            "user": {"id": AGENT},
            "container": {"channel_id": "C1"},
            "trigger_id": "t-1",
            "response_url": "https://hooks.example/1",
            "actions": [{"action_id": "probe", "value": "x"}],
        }
    )
    response = await _app(sandbox, seen).async_dispatch(AsyncBoltRequest(body=body))
    assert response.status == 200
    [here] = seen
    assert (here.user, here.channel, here.trigger_id, here.kind) == (AGENT, "C1", "t-1", "action")
    assert isinstance(here.respond, PooledRespond)
    assert here.respond.response_url == "https://hooks.example/1"
    assert isinstance(here.ack, StickyAck) and len(here.ref) > 0


async def test_a_command_s_and_a_submission_s(sandbox: Sandbox) -> None:
    seen: list[Invocation] = []
    app = _app(sandbox, seen)
    command = urlencode(
        {
            "command": "/probe",
            "text": "",
            "user_id": AGENT,
            "channel_id": "C2",
            "trigger_id": "t-2",
            "response_url": "https://hooks.example/2",
        }
    )
    submission = _form(
        {
            "type": "view_submission",
            "user": {"id": AGENT},
            "view": {"id": "V1", "type": "modal", "callback_id": "probe"},
        }
    )
    for body in (command, submission):
        assert (await app.async_dispatch(AsyncBoltRequest(body=body))).status == 200
    by_command, by_form = seen
    assert (by_command.kind, by_command.channel, by_command.trigger_id) == ("command", "C2", "t-2")
    assert by_form.kind == "view" and by_form.respond.response_url is None
    assert by_command.ref != by_form.ref
