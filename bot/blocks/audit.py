"""The audit log as sentences a person reads: who did what to which record, and how it ended.

Rows keep the words they were written with (older rows carry internal names, which are
translated here), so the log reads the same whatever release wrote it. Pure.
"""

from __future__ import annotations

from bot.blocks.common import MAX_MESSAGE_BLOCKS, Block, escape, footer, quoted, section
from bot.blocks.dates import slack_date
from bot.i18n import N_, Messages
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
_RECORD = {"binding": N_("the binding %(target)s"), "uc": N_("the relation %(target)s")}
_DONE = {
    "add": N_("%(who)s added %(target)s"),
    "edit": N_("%(who)s changed %(target)s"),
    "cancel": N_("%(who)s cancelled %(target)s"),
    "reject": N_("%(who)s rejected %(target)s"),
}
# How an approved request ended, after the approval.
_APPROVED = {
    "approved": N_("%(who)s approved request %(target)s"),
    "executed": N_("%(who)s approved request %(target)s: deleted"),
    "stale": N_(
        "%(who)s approved request %(target)s: nothing was deleted, the records changed since "
        "it was filed"
    ),
    "failed": N_("%(who)s approved request %(target)s: the delete failed"),
    "unknown": N_(
        "%(who)s approved request %(target)s: it is not known whether the delete was made "
        "(the lookup in the request checks it)"
    ),
    "pending": N_(
        "%(who)s approved request %(target)s: interrupted before anything was sent; it waits "
        "to be approved again"
    ),
    "expired": N_(
        "%(who)s approved request %(target)s: interrupted before anything was sent, and it "
        "has expired"
    ),
}


def audit_sentence(t: Messages, entry: AuditEntry) -> str:
    """One row: `@agent added the binding 30851821 wechat: bound to openId x`.

    The row's own words (its action, target and detail) are shown as they were written."""
    who = f"<@{escape(entry.actor)}>"
    action = _LEGACY_ACTIONS.get(entry.action, entry.action)
    target = escape(entry.target)
    detail = quoted(t, entry.detail, 200) if entry.detail else ""
    because = f" ({detail})" if detail else ""
    if entry.outcome == "refused":
        what = " ".join(part for part in (escape(action), target) if part)
        return t("%(who)s was refused: %(what)s", who=who, what=what) + because
    if action == "request delete":
        if entry.outcome.startswith("filed"):
            return t("%(who)s asked for request %(target)s", who=who, target=target)
        return (
            t(
                "%(who)s asked to delete %(target)s, but the request was %(outcome)s",
                who=who,
                target=target,
                outcome=escape(entry.outcome),
            )
            + because
        )
    if action == "expire":
        return t("request %(target)s expired before anyone decided", target=target)
    if action in ("approve", "delete") and entry.outcome in _APPROVED:
        return t(_APPROVED[entry.outcome], who=who, target=target)
    if action in ("add", "edit", "look up", "delete") and entry.feature in _RECORD:
        target = t(_RECORD[entry.feature], target=target)
    after = f": {detail}" if detail else ""
    if entry.outcome in ("ok", "cancelled", "rejected"):
        if action in _DONE:
            return t(_DONE[action], who=who, target=target) + after
        return f"{who} {escape(action)} {target}" + after
    return (
        t("%(who)s tried to %(action)s %(target)s", who=who, action=escape(action), target=target)
        + after
    )


def audit_blocks(
    t: Messages, feature: str, entries: list[AuditEntry], correlation_id: str
) -> list[Block]:
    if not entries:
        return [
            section(t("No audit entries for %(command)s yet.", command=f"`/{feature}`")),
            footer(t, correlation_id),
        ]
    lines = [f"{slack_date(entry.at)} · {audit_sentence(t, entry)}" for entry in entries]
    blocks: list[Block] = [
        section(t("*Audit log of %(command)s*, newest first", command=f"`/{feature}`"))
    ]
    # Several entries per section keep a long log within the message's block budget.
    per_block = max(5, -(-len(lines) // (MAX_MESSAGE_BLOCKS - 3)))
    for start in range(0, len(lines), per_block):
        blocks.append(section("\n".join(lines[start : start + per_block])))
    entries_note = t.ngettext("%(count)d entry", "%(count)d entries", len(entries))
    blocks.append(footer(t, correlation_id, entries_note))
    return blocks
