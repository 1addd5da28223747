"""Answers posted to response_url: Block Kit turned to JSON exactly as slack_sdk does, validated."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import ButtonElement, SectionBlock

import bot.respond
from bot.sandbox.harness import Sandbox
from tests.helpers import command


async def test_every_answer_is_the_json_slack_sdk_would_send(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[str] = []
    lean = bot.respond.as_dict

    def checked(value: Any) -> Any:
        found = lean(value)  # children come through here too
        if hasattr(value, "to_dict"):
            assert found == value.to_dict()
            compared.append(type(value).__name__)
        return found

    monkeypatch.setattr(bot.respond, "as_dict", checked)
    sandbox.bangwo8.faults.inject(status=502, body="<html>", params={"account_source": "open"})
    await command(sandbox, "/binding", "30851821")  # cards, a failed source, share
    await command(sandbox, "/binding", "delete 30851821 wechat")  # confirm dialog
    await command(sandbox, "/uc", "follows 998")  # list with tick boxes, options
    await command(sandbox, "/binding", "30851821 open")
    kinds = {"SectionBlock", "ActionsBlock", "ContextBlock", "ButtonElement", "ConfirmObject"}
    assert kinds | {"OverflowMenuElement", "MarkdownTextObject"} <= set(compared)


def test_what_slack_sdk_refuses_is_refused() -> None:
    too_long = SectionBlock(text="x" * 3001)
    with pytest.raises(SlackObjectFormationError):
        too_long.to_dict()
    with pytest.raises(SlackObjectFormationError):
        bot.respond.as_dict(too_long)
    button = SectionBlock(text="ok", accessory=ButtonElement(text="y" * 76, action_id="a"))
    with pytest.raises(SlackObjectFormationError):
        bot.respond.as_dict(button)
