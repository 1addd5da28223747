"""Text from backends and people shows exactly as written, read as Slack renders mrkdwn."""

from __future__ import annotations

from bot.sandbox.harness import APPROVER, Sandbox
from bot.sandbox.render import text_of as rendered
from bot.sandbox.slack import Message
from tests.helpers import button, command

NASTY = "WeCom *bold* _it_ ~x~ `c` <!channel> <@U0APPROVER> <http://x|y> & ok"


def seen(message: Message) -> str:
    """Every text of a message as a person sees it: styling applied, markers gone."""
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                texts.append(rendered(node, {}))
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)

    walk(message.blocks)
    return "\n".join(texts)


async def test_a_remark_shows_as_written_on_the_card(sandbox: Sandbox) -> None:
    sandbox.bangwo8.bindings[(30851821, "wechat")]["remark"] = NASTY
    message = await command(sandbox, "/binding", "30851821 wx")
    assert f"Remark\n{NASTY}" in seen(message)
    assert "<!channel>" not in str(message.blocks) and "<@U0APPROVER>" not in str(message.blocks)


async def test_ids_and_references_show_as_written_in_lists_and_cards(sandbox: Sandbox) -> None:
    sandbox.user_customer.relations[(998, 1001)]["reference"] = "~x~ *y* `z`"
    message = await command(sandbox, "/uc", "get 998 1001")
    assert "~x~ *y* `z`" in seen(message)
    listing = await command(sandbox, "/uc", "list user=998")
    assert "~x~ *y* `z`" in seen(listing)


async def test_approval_cards_and_audit_show_text_as_written(sandbox: Sandbox) -> None:
    sandbox.user_customer.relations[(998, 1001)]["reference"] = "_VIP_ *gold*"
    preview = await command(sandbox, "/uc", "delete 998 1001")
    assert "_VIP_ *gold*" in seen(preview)
    await sandbox.slack.click(preview, "uc_delete", value=button(preview, "uc_delete")["value"])
    card = await sandbox.slack.wait_for(
        lambda: next(iter(sandbox.slack.messages_in("C0APPROVALS")), None)
    )
    assert "_VIP_ *gold*" in seen(card)
    sandbox.bangwo8.bindings[(30851821, "wechat")]["remark"] = NASTY
    await command(sandbox, "/binding", "add 6862715 wechat *a*_b_ ~c~")
    audit = await command(sandbox, "/binding", "audit", user=APPROVER)
    assert "*a*_b_" in seen(audit)
