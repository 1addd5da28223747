"""Block Kit for approval requests and the audit log. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.blocks.bindings import binding_card
from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    actions,
    button,
    code,
    confirm_dialog,
    context,
    escape,
    footer,
    quoted,
    section,
    text_input,
)
from bot.models import Binding, Relation
from bot.records import ApprovalRequest, ApprovalStatus, RecordOutcome

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"
CANCEL_ACTION = "approval_cancel"
REJECT_CALLBACK = "approval_reject_reason"

# A card lists this many records in full; a larger request shows these and a count.
SHOWN_RECORDS = 10


def when(moment: datetime) -> str:
    """A time every reader sees in their own time zone (Slack's date token), UTC as fallback."""
    fallback = f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def relation_line(record: dict[str, Any]) -> str:
    relation = Relation.model_validate(record)
    return (
        f"user {code(relation.user_id)} → customer {code(relation.customer_id)}"
        f" · ref {quoted(relation.reference, 80)} · created {escape(relation.created or '?')}"
    )


def _records(request: ApprovalRequest) -> list[Block]:
    shown = request.snapshot[:SHOWN_RECORDS]
    more = len(request.snapshot) - len(shown)
    if request.kind == "binding":
        blocks = [binding_card(Binding.model_validate(r), interactive=False) for r in shown]
    else:
        blocks = [section("\n".join(relation_line(r) for r in shown))]
    if more > 0:
        blocks.append(context(f"…and {more} more ({len(request.snapshot)} in all)."))
    return blocks


_STATUS_LINE = {
    ApprovalStatus.PENDING: ":hourglass_flowing_sand: Waiting for an approver",
    ApprovalStatus.APPROVED: ":gear: Approved, the delete is starting",
    ApprovalStatus.EXECUTING: ":gear: Approved, the delete is running",
    ApprovalStatus.UNKNOWN: ":grey_question: Approved and sent, but it is not known whether the delete was made",
    ApprovalStatus.EXECUTED: ":white_check_mark: Approved and executed",
    ApprovalStatus.FAILED: ":x: Approved, but the delete failed",
    ApprovalStatus.REJECTED: ":no_entry_sign: Rejected",
    ApprovalStatus.CANCELLED: ":leftwards_arrow_with_hook: Cancelled by the requester",
    ApprovalStatus.EXPIRED: ":alarm_clock: Expired, nothing was deleted",
    ApprovalStatus.STALE: ":warning: Not run: the records changed after the request was filed",
}


def approval_card(request: ApprovalRequest) -> list[Block]:
    """The card in the approval channel; it is redrawn in place after every transition."""
    blocks: list[Block] = [
        section(
            f":lock: *Delete request #{request.id}* from <@{escape(request.requester)}>\n"
            f"Would delete *{escape(request.summary)}*:"
        ),
        *_records(request),
        DividerBlock(),
        section(_status(request)),
    ]
    if request.status is ApprovalStatus.PENDING:
        blocks.append(_decision_buttons(request))
    blocks += _outcome(request)
    blocks.append(
        context(
            f"Filed {when(request.created_at)} in <#{escape(request.channel_id)}>"
            f" · expires {when(request.expires_at)}"
        )
    )
    return blocks[:MAX_MESSAGE_BLOCKS]


def _status(request: ApprovalRequest) -> str:
    line = f"*{_STATUS_LINE[request.status]}*"
    if request.decided_by and request.decided_at:
        line += f" · by <@{escape(request.decided_by)}> {when(request.decided_at)}"
    if request.status is ApprovalStatus.EXPIRED:
        line += f" · {when(request.finished_at or request.expires_at)}"
    interrupted = (request.result or {}).get("interrupted")
    if isinstance(interrupted, dict):
        by = interrupted.get("approved_by")
        line += (
            f"\nAn approval{f' by <@{escape(by)}>' if by else ''} was interrupted before"
            " anything was sent; nothing was deleted."
        )
        if request.status is ApprovalStatus.PENDING:
            line += " It can be approved again."
    if request.reason:
        line += f"\nReason: {quoted(request.reason, 500)}"
    return line


def _decision_buttons(request: ApprovalRequest) -> Block:
    value = str(request.id)
    dialog = confirm_dialog(
        f"Approve request #{request.id}?",
        f"This deletes {escape(request.summary)} now. It cannot be undone.",
        confirm="Approve and delete",
    )
    return actions(
        button("Approve", APPROVE_ACTION, value, style="primary", confirm=dialog),
        button("Reject", REJECT_ACTION, value, style="danger"),
    )


def _outcome(request: ApprovalRequest) -> list[Block]:
    result = request.result or {}
    if request.status is ApprovalStatus.STALE:
        changes = result.get("changes", [])
        listed = "\n".join(f"• {escape(change)}" for change in changes[:SHOWN_RECORDS])
        return [
            section(f"What changed:\n{listed}\n<@{escape(request.requester)}> may file it again.")
        ]
    if result.get("error"):
        return [section(f":x: {escape(result['error'])}")]
    outcomes = [RecordOutcome(**o) for o in result.get("outcomes", [])]
    if not outcomes:
        return []
    lines = [_outcome_line(o) for o in outcomes[:SHOWN_RECORDS]]
    if len(outcomes) > SHOWN_RECORDS:
        failed = sum(not o.deleted for o in outcomes)
        lines.append(f"…{len(outcomes)} in all, {failed} failed.")
    return [section("\n".join(lines))]


def _outcome_line(outcome: RecordOutcome) -> str:
    if outcome.unknown:
        check = f" Check with `{escape(outcome.check)}`." if outcome.check else ""
        return f":grey_question: {escape(outcome.record)}: {escape(outcome.sentence)}{check}"
    mark = ":white_check_mark:" if outcome.deleted else ":x:"
    return f"{mark} {escape(outcome.record)}: {escape(outcome.sentence)}"


def already_requested(holders: dict[str, ApprovalRequest], asked: int) -> str:
    """Why nothing was filed: the records already in open requests, and those requests.

    `asked` is how many records the refused filing named.
    """
    requests = {request.id: request for request in holders.values()}
    lines = [
        f"• {escape(record)}: request #{request.id} by <@{escape(request.requester)}>"
        f" ({request.status.value}, filed {when(request.created_at)})"
        for record, request in sorted(holders.items())
    ]
    if asked == 1 and len(holders) == 1:
        [request] = requests.values()
        return (
            f":information_source: Nothing new was filed: {escape(request.summary)} is already "
            f"in open request #{request.id} by <@{escape(request.requester)}> "
            f"({request.status.value}, filed {when(request.created_at)}, expires "
            f"{when(request.expires_at)}). Its card is in the approval channel."
        )
    return (
        f":information_source: Nothing was filed: {len(holders)} of the {asked} records"
        " are already in open requests.\n"
        + "\n".join(lines)
        + "\nFile the rest without them, or wait for those requests to close."
    )


def reminder(request: ApprovalRequest) -> str:
    return (
        f":bell: Delete request #{request.id} from <@{escape(request.requester)}>"
        f" ({escape(request.summary)}) has waited for an approver since"
        f" {when(request.created_at)}; it expires {when(request.expires_at)}."
    )


def filed_notice(request: ApprovalRequest, channel: str, correlation_id: str) -> list[Block]:
    """What the requester sees once the request is filed, with the way to withdraw it."""
    return [
        section(
            f":inbox_tray: Request #{request.id} filed: {escape(request.summary)} will be deleted "
            f"once an approver approves it in <#{escape(channel)}>. It expires {when(request.expires_at)}.",
            accessory=button("Cancel request", CANCEL_ACTION, str(request.id)),
        ),
        footer(correlation_id),
    ]


def requester_update(request: ApprovalRequest) -> str:
    """The DM to the requester after a decision (mrkdwn)."""
    status = _STATUS_LINE[request.status]
    text = f"Your delete request #{request.id} ({escape(request.summary)}): {status}"
    if request.decided_by:
        text += f" by <@{escape(request.decided_by)}>"
    if request.reason:
        text += f". Reason: {quoted(request.reason, 500)}"
    outcomes = [RecordOutcome(**o) for o in (request.result or {}).get("outcomes", [])]
    unknown = [o for o in outcomes if o.unknown]
    failed = [o for o in outcomes if not o.deleted and not o.unknown]
    if failed:
        text += f". {len(failed)} record(s) could not be deleted; see the card."
    if unknown:
        checks = ", ".join(f"`{escape(o.check)}`" for o in unknown[:3] if o.check)
        text += (
            f". For {len(unknown)} record(s) it is not known whether the delete was made;"
            f" check with {checks}."
        )
    if request.status is ApprovalStatus.STALE:
        text += ". The records changed after you filed it: check them and file it again."
    return text


def reject_modal(request_id: int) -> View:
    return View(
        type="modal",
        callback_id=REJECT_CALLBACK,
        private_metadata=str(request_id),
        title=PlainTextObject(text="Reject request"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            section(f"Reject delete request #{request_id}. Nothing will be deleted."),
            text_input("reason", "Reason (the requester sees it)", multiline=True, max_length=500),
        ],
    )
