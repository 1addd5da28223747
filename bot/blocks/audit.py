"""The audit log as sentences a person reads: who did what to which record, and how it ended.

Rows keep the words they were written with (older rows carry internal names, which are
translated here), so the log reads the same whatever release wrote it. Pure.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.common import MAX_MESSAGE_BLOCKS, escape, footer, quoted, section
from bot.records import AuditEntry

# What older rows called a refused command, by its internal class name.
_LEGACY_ACTIONS = {
    "lookup": "look up",
    "addnow": "add",
    "openaddmodal": "add",
    "openeditmodal": "edit",
    "previewdelete": "delete",
    "showaudit": "read the audit log",
    "listrelations": "look up",
    "follows": "look up",
    "getrelation": "look up",
}
_RECORD = {"binding": "the binding", "uc": "the relation"}
_DONE = {"add": "added", "edit": "changed", "cancel": "cancelled", "reject": "rejected"}
# How an approved request ended, after the approval.
_APPROVED = {
    "approved": "",
    "executed": ": deleted",
    "stale": ": nothing was deleted, the records changed since it was filed",
    "failed": ": the delete failed",
    "unknown": ": it is not known whether the delete was made (the lookup in the request checks it)",
    "pending": ": interrupted before anything was sent; it waits to be approved again",
    "expired": ": interrupted before anything was sent, and it has expired",
}


def audit_sentence(entry: AuditEntry) -> str:
    """One row: `@agent added the binding 30851821 wechat: bound to openId x`."""
    who = f"<@{escape(entry.actor)}>"
    action = _LEGACY_ACTIONS.get(entry.action, entry.action)
    target = escape(entry.target)
    detail = quoted(entry.detail, 200) if entry.detail else ""
    because = f" ({detail})" if detail else ""
    if entry.outcome == "refused":
        what = " ".join(part for part in (escape(action), target) if part)
        return f"{who} was refused: {what}{because}"
    if action == "request delete":
        if entry.outcome.startswith("filed"):
            return f"{who} asked for request {target}"
        return (
            f"{who} asked to delete {target}, but the request was {escape(entry.outcome)}{because}"
        )
    if action == "expire":
        return f"request {target} expired before anyone decided"
    if action in ("approve", "delete") and entry.outcome in _APPROVED:
        return f"{who} approved request {target}{_APPROVED[entry.outcome]}"
    if action in ("add", "edit", "look up", "delete"):
        target = f"{_RECORD.get(entry.feature, '')} {target}".strip()
    if entry.outcome in ("ok", "cancelled", "rejected"):
        done = _DONE.get(action, escape(action))
        return f"{who} {done} {target}" + (f": {detail}" if detail else "")
    return f"{who} tried to {escape(action)} {target}" + (f": {detail}" if detail else "")


def audit_blocks(feature: str, entries: list[AuditEntry], correlation_id: str) -> list[Block]:
    if not entries:
        return [section(f"No audit entries for `/{feature}` yet."), footer(correlation_id)]
    lines = [f"{entry.at:%Y-%m-%d %H:%M} UTC · {audit_sentence(entry)}" for entry in entries]
    blocks: list[Block] = [section(f"*Audit log of `/{feature}`*, newest first")]
    # Several entries per section keep a long log within the message's block budget.
    per_block = max(5, -(-len(lines) // (MAX_MESSAGE_BLOCKS - 3)))
    for start in range(0, len(lines), per_block):
        blocks.append(section("\n".join(lines[start : start + per_block])))
    blocks.append(footer(correlation_id, f"{len(entries)} entries"))
    return blocks
