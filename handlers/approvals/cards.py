"""The approval card: what a request would delete, its state, and how its delete ended.

Pure: the stored request in, Block Kit out, redrawn in place after every transition.
"""

from __future__ import annotations

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    code,
    confirm_dialog,
    context,
    divider,
    escape,
    quoted,
    section,
)
from bot.blocks.dates import slack_date
from bot.i18n import N_, Messages, Sentence
from bot.models import Binding, BindingKey, Relation, RelationKey
from bot.payloads import RequestRef
from bot.records import (
    ApprovalRequest,
    ApprovalStatus,
    BindingDeletion,
    Executed,
    Interrupted,
    NothingDeleted,
    RecordKey,
    RecordOutcome,
    Stale,
)
from handlers.bindings.cards import binding_card

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"

# A card lists this many records in full; a larger request shows these and a count.
SHOWN_RECORDS = 10


def summary(t: Messages, request: ApprovalRequest) -> str:
    """What the request would delete, in the reader's words (rebuilt from its deletion;
    the stored `summary` is the English the audit log keeps)."""
    deletion = request.deletion
    if isinstance(deletion, BindingDeletion):
        return t(
            "the %(source)s binding of contact %(cid)s",
            source=t(deletion.key.source.label),
            cid=deletion.key.cid,
        )
    users = deletion.selection.by_user
    if len(users) == 1:
        return t.ngettext(
            "%(count)d relation of user %(user)s",
            "%(count)d relations of user %(user)s",
            deletion.count,
            user=next(iter(users)),
        )
    return t.ngettext(
        "%(count)d relation of %(users)s users",
        "%(count)d relations of %(users)s users",
        deletion.count,
        users=len(users),
    )


def relation_line(t: Messages, relation: Relation) -> str:
    return t(
        "user %(user)s → customer %(customer)s · ref %(ref)s · created %(created)s",
        user=code(relation.user_id),
        customer=code(relation.customer_id),
        ref=quoted(t, relation.reference, 80),
        created=escape(relation.created or "?"),
    )


def _records(t: Messages, request: ApprovalRequest) -> list[Block]:
    shown = request.snapshot[:SHOWN_RECORDS]
    more = len(request.snapshot) - len(shown)
    bindings = [record for record in shown if isinstance(record, Binding)]
    relations = [record for record in shown if isinstance(record, Relation)]
    blocks: list[Block] = [binding_card(t, binding, interactive=False) for binding in bindings]
    if relations:
        blocks.append(section("\n".join(relation_line(t, r) for r in relations)))
    if more > 0:
        blocks.append(
            context(
                t(
                    "…and %(more)s more (%(count)s in all).",
                    more=more,
                    count=len(request.snapshot),
                )
            )
        )
    return blocks


_STATUS_LINE = {
    ApprovalStatus.PENDING: N_(":hourglass_flowing_sand: Waiting for an approver"),
    ApprovalStatus.APPROVED: N_(":gear: Approved, the delete is starting"),
    ApprovalStatus.EXECUTING: N_(":gear: Approved, the delete is running"),
    ApprovalStatus.UNKNOWN: N_(
        ":grey_question: Approved and sent, but it is not known whether the delete was made"
    ),
    ApprovalStatus.EXECUTED: N_(":white_check_mark: Approved and executed"),
    ApprovalStatus.FAILED: N_(":x: Approved, but the delete failed"),
    ApprovalStatus.REJECTED: N_(":no_entry_sign: Rejected"),
    ApprovalStatus.CANCELLED: N_(":leftwards_arrow_with_hook: Cancelled by the requester"),
    ApprovalStatus.EXPIRED: N_(":alarm_clock: Expired, nothing was deleted"),
    ApprovalStatus.STALE: N_(":warning: Not run: the records changed after the request was filed"),
}
# A request's state in a sentence, as the words people read (the store's values are code).
_STATUS_WORD = {
    ApprovalStatus.PENDING: N_("pending"),
    ApprovalStatus.APPROVED: N_("approved"),
    ApprovalStatus.EXECUTING: N_("executing"),
    ApprovalStatus.UNKNOWN: N_("unknown"),
    ApprovalStatus.EXECUTED: N_("executed"),
    ApprovalStatus.FAILED: N_("failed"),
    ApprovalStatus.REJECTED: N_("rejected"),
    ApprovalStatus.CANCELLED: N_("cancelled"),
    ApprovalStatus.EXPIRED: N_("expired"),
    ApprovalStatus.STALE: N_("stale"),
}


def status_word(t: Messages, status: ApprovalStatus) -> str:
    return t(_STATUS_WORD[status])


def status_line(t: Messages, status: ApprovalStatus) -> str:
    return t(_STATUS_LINE[status])


def approval_card(t: Messages, request: ApprovalRequest) -> list[Block]:
    """The card in the approval channel, in the requester's language; it is redrawn in place
    after every transition. Times are date tokens: each reader sees their own zone."""
    blocks: list[Block] = [
        section(
            t(
                ":lock: *Delete request #%(id)s* from %(requester)s\nWould delete *%(summary)s*:",
                id=request.id,
                requester=f"<@{escape(request.requester)}>",
                summary=escape(summary(t, request)),
            )
        ),
        *_records(t, request),
        divider(),
        section(_status(t, request)),
    ]
    if request.status is ApprovalStatus.PENDING:
        blocks.append(_decision_buttons(t, request))
    blocks += _outcome(t, request)
    blocks.append(
        context(
            t(
                "Filed %(filed)s in %(channel)s · expires %(expires)s",
                filed=slack_date(request.created_at),
                channel=f"<#{escape(request.channel_id)}>",
                expires=slack_date(request.expires_at),
            )
        )
    )
    return blocks[:MAX_MESSAGE_BLOCKS]


def _status(t: Messages, request: ApprovalRequest) -> str:
    line = f"*{status_line(t, request.status)}*"
    if request.decided_by and request.decided_at:
        line += " · " + t(
            "by %(user)s %(when)s",
            user=f"<@{escape(request.decided_by)}>",
            when=slack_date(request.decided_at),
        )
    if request.status is ApprovalStatus.EXPIRED:
        line += f" · {slack_date(request.finished_at or request.expires_at)}"
    if isinstance(request.result, Interrupted):
        by = request.result.approved_by
        line += "\n" + (
            t(
                "An approval by %(user)s was interrupted before anything was sent; "
                "nothing was deleted.",
                user=f"<@{escape(by)}>",
            )
            if by
            else t("An approval was interrupted before anything was sent; nothing was deleted.")
        )
        if request.status is ApprovalStatus.PENDING:
            line += " " + t("It can be approved again.")
    if request.reason:
        line += "\n" + t("Reason: %(reason)s", reason=quoted(t, request.reason, 500))
    return line


def _decision_buttons(t: Messages, request: ApprovalRequest) -> Block:
    value = RequestRef(request_id=request.id).encode()
    dialog = confirm_dialog(
        t,
        t("Approve request #%(id)s?", id=request.id),
        t(
            "This deletes %(summary)s now. It cannot be undone.",
            summary=escape(summary(t, request)),
        ),
        confirm=t("Approve and delete"),
    )
    return actions(
        button(t("Approve"), APPROVE_ACTION, value, style="primary", confirm=dialog),
        button(t("Reject"), REJECT_ACTION, value, style="danger"),
    )


def _outcome(t: Messages, request: ApprovalRequest) -> list[Block]:
    result = request.result
    if request.status is ApprovalStatus.STALE:
        changes = result.changes if isinstance(result, Stale) else []
        listed = "\n".join(f"• {escape(change)}" for change in changes[:SHOWN_RECORDS])
        return [
            section(
                t(
                    "What changed:\n%(changes)s\n%(requester)s may file it again.",
                    changes=listed,
                    requester=f"<@{escape(request.requester)}>",
                )
            )
        ]
    if isinstance(result, NothingDeleted):
        return [section(f":x: {escape(_failure(t, result))}")]
    outcomes = result.outcomes if isinstance(result, Executed) else []
    if not outcomes:
        return []
    lines = [_outcome_line(t, o) for o in outcomes[:SHOWN_RECORDS]]
    if len(outcomes) > SHOWN_RECORDS:
        failed = sum(not o.deleted for o in outcomes)
        lines.append(t("…%(count)s in all, %(failed)s failed.", count=len(outcomes), failed=failed))
    return [section("\n".join(lines))]


def _failure(t: Messages, result: NothingDeleted) -> str:
    """Why nothing was deleted; older rows hold only the English."""
    if result.message is not None:
        error = Sentence(result.message, **(result.params or {})).say(t)
        return t("Nothing was deleted: %(error)s", error=error)
    return result.error


def said_record(t: Messages, record: RecordKey | str) -> str:
    """A record as the reader says it (联系人 30851821 钉钉); a name stored in no shape we
    know, as stored."""
    if isinstance(record, BindingKey):
        return t("contact %(cid)s %(source)s", cid=record.cid, source=t(record.source.label))
    if isinstance(record, RelationKey):
        return t(
            "customer %(customer)s of user %(user)s",
            customer=record.customer_id,
            user=record.user_id,
        )
    return record


def _outcome_line(t: Messages, outcome: RecordOutcome) -> str:
    said = escape(outcome.say(t))
    name = escape(said_record(t, outcome.record))
    if outcome.unknown:
        check = (
            " " + t("Check with %(command)s.", command=f"`{escape(outcome.check)}`")
            if outcome.check
            else ""
        )
        return f":grey_question: {name}: {said}{check}"
    mark = ":white_check_mark:" if outcome.deleted else ":x:"
    return f"{mark} {name}: {said}"
