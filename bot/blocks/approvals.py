"""Block Kit for approval requests and the audit log. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.common import MAX_MESSAGE_BLOCKS, code, context, escape, footer, section
from bot.store import AuditEntry


def audit_blocks(feature: str, entries: list[AuditEntry], correlation_id: str) -> list[Block]:
    if not entries:
        return [section(f"No audit entries for `{feature}` yet."), footer(correlation_id)]
    lines = [
        f"{entry.at:%Y-%m-%d %H:%M} UTC · <@{escape(entry.actor)}> · *{escape(entry.action)}* "
        f"{code(entry.target)} → {escape(entry.outcome)}"
        + (f" · {escape(entry.detail)}" if entry.detail else "")
        for entry in entries
    ]
    blocks: list[Block] = [section(f"*Audit log of `/{feature}`*, newest first")]
    # Several entries per section keeps a long log within the message's block budget.
    chunk = max(1, -(-len(lines) // (MAX_MESSAGE_BLOCKS - 3)))
    chunk = max(chunk, 5)
    for start in range(0, len(lines), chunk):
        blocks.append(context("\n".join(lines[start : start + chunk])))
    blocks.append(footer(correlation_id, f"{len(entries)} entries"))
    return blocks
