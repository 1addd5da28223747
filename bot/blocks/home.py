"""The App Home tab: who you are here, what you can type, what waits for approval. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.blocks.common import context, escape, section
from bot.blocks.help import BINDING_GRAMMAR, UC_GRAMMAR
from bot.roles import Role
from bot.store import ApprovalRequest

SHOWN_PENDING = 10


def home_view(roles: list[Role], pending: list[ApprovalRequest]) -> View:
    held = ", ".join(role.value for role in roles) or "none"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="support-bot")),
        section(
            "Look up and change account bindings and user-customer relations without leaving "
            "Slack. Deletes are previewed, confirmed, and run only after a second person approves."
        ),
        context(f"Your roles: *{escape(held)}*"),
        DividerBlock(),
        section(f"*Bindings*\n{BINDING_GRAMMAR}"),
        section(f"*User-customer relations*\n{UC_GRAMMAR}"),
    ]
    if Role.APPROVER in roles:
        blocks += [DividerBlock(), *_pending(pending)]
    return View(type="home", blocks=blocks)


def _pending(pending: list[ApprovalRequest]) -> list[Block]:
    if not pending:
        return [section("*Waiting for approval*\nNothing. :sparkles:")]
    lines = [
        f"#{request.id} · {escape(request.summary)} · from <@{escape(request.requester)}>"
        + (f" · <#{escape(request.message_channel)}>" if request.message_channel else "")
        for request in pending[:SHOWN_PENDING]
    ]
    more = len(pending) - SHOWN_PENDING
    if more > 0:
        lines.append(f"…and {more} more.")
    return [section("*Waiting for approval*\n" + "\n".join(lines))]
