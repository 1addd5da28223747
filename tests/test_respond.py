"""Answers are Block Kit as JSON, built by `bot.blocks.common`: exactly what slack_sdk's models
would send for them, and within every limit they check."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block

import bot.respond
from bot.sandbox.harness import Sandbox
from tests.helpers import command


def _kinds(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            found.add(value["type"])
        for item in value.values():
            _kinds(item, found)
    elif isinstance(value, list):
        for item in value:
            _kinds(item, found)
    return found


async def test_every_answer_is_the_json_slack_sdk_would_send(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block, read into slack_sdk's model and written out again (its validators run on
    the way), comes back the same: no key slack_sdk would drop or add, no limit broken."""
    posted: list[dict[str, Any]] = []
    build = bot.respond._build_message

    def recorded(**message: Any) -> dict[str, Any]:
        built = build(**message)
        posted.extend(built.get("blocks", []))
        return built

    monkeypatch.setattr(bot.respond, "_build_message", recorded)
    sandbox.bangwo8.faults.inject(status=502, body="<html>", params={"account_source": "open"})
    await command(sandbox, "/binding", "30851821")  # cards, a failed source, share
    await command(sandbox, "/binding", "delete 30851821 wechat")  # confirm dialog
    await command(sandbox, "/uc", "follows 998")  # list with tick boxes, options
    await command(sandbox, "/binding", "30851821 open")
    for block in posted:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
    kinds = {"section", "actions", "context", "button", "overflow", "checkboxes", "mrkdwn"}
    assert kinds | {"plain_text"} <= _kinds(posted, set())
