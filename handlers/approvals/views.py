"""The sentences approvals say outside the card, and the reject modal (pure); the card itself
is `cards`."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.blocks.common import Block, button, escape, footer, quoted, section
from bot.blocks.dates import slack_date
from bot.blocks.modals import form_modal, text_input
from bot.clients.errors import BackendError
from bot.i18n import N_, Messages
from bot.payloads import RequestRef
from bot.records import ApprovalRequest, ApprovalStatus, Executed, Refusal
from bot.roles import Role, refusal
from handlers.approvals.cards import status_line, status_word, summary

CANCEL_ACTION = "approval_cancel"
REJECT_CALLBACK = "approval_reject_reason"

# What a refused approver tried, for the refusal sentence.
ATTEMPTS = {
    "approve": N_("approve delete requests"),
    "reject": N_("reject delete requests"),
    "cancel": N_("cancel delete requests"),
}


def card_text(t: Messages, request: ApprovalRequest) -> str:
    return t("Delete request #%(id)s: %(summary)s", id=request.id, summary=summary(t, request))


def no_longer_pending(t: Messages, request: ApprovalRequest) -> str:
    params = {
        "id": request.id,
        "who": f"<@{request.decided_by}>" if request.decided_by else t("someone"),
    }
    if request.status is ApprovalStatus.EXPIRED:
        return t(
            ":alarm_clock: Request #%(id)s expired; nothing was deleted. "
            "File it again if it is still needed.",
            **params,
        )
    if request.status in (ApprovalStatus.APPROVED, ApprovalStatus.EXECUTING):
        return t(
            "Request #%(id)s was already approved by %(who)s; the delete is under way and its "
            "card will show the outcome.",
            **params,
        )
    if request.status is ApprovalStatus.UNKNOWN:
        return t(
            "Request #%(id)s was already approved by %(who)s; the delete was sent but it is not "
            "known whether it was made. Its card names the lookup that checks.",
            **params,
        )
    if request.status in (ApprovalStatus.EXECUTED, ApprovalStatus.FAILED, ApprovalStatus.STALE):
        return t(
            "Request #%(id)s was already approved by %(who)s and has run (%(status)s).",
            status=status_word(t, request.status),
            **params,
        )
    if request.status is ApprovalStatus.REJECTED:
        return t("Request #%(id)s was already rejected by %(who)s.", **params)
    return t("Request #%(id)s was cancelled by the requester.", **params)


def already_requested(t: Messages, holders: dict[str, ApprovalRequest], asked: int) -> str:
    """Why nothing was filed: the records already in open requests, and those requests.

    `asked` is how many records the refused filing named.
    """
    requests = {request.id: request for request in holders.values()}
    lines = [
        t(
            "• %(record)s: request #%(id)s by %(requester)s (%(status)s, filed %(filed)s)",
            record=escape(record),
            id=request.id,
            requester=f"<@{escape(request.requester)}>",
            status=status_word(t, request.status),
            filed=slack_date(request.created_at),
        )
        for record, request in sorted(holders.items())
    ]
    if asked == 1 and len(holders) == 1:
        [request] = requests.values()
        return t(
            ":information_source: Nothing new was filed: %(summary)s is already in open "
            "request #%(id)s by %(requester)s (%(status)s, filed %(filed)s, expires "
            "%(expires)s). Its card is in the approval channel.",
            summary=escape(summary(t, request)),
            id=request.id,
            requester=f"<@{escape(request.requester)}>",
            status=status_word(t, request.status),
            filed=slack_date(request.created_at),
            expires=slack_date(request.expires_at),
        )
    return "\n".join(
        [
            t(
                ":information_source: Nothing was filed: %(held)s of the %(asked)s records"
                " are already in open requests.",
                held=len(holders),
                asked=asked,
            ),
            *lines,
            t("File the rest without them, or wait for those requests to close."),
        ]
    )


def reminder(t: Messages, request: ApprovalRequest) -> str:
    return t(
        ":bell: Delete request #%(id)s from %(requester)s (%(summary)s) has waited for an "
        "approver since %(filed)s; it expires %(expires)s.",
        id=request.id,
        requester=f"<@{escape(request.requester)}>",
        summary=escape(summary(t, request)),
        filed=slack_date(request.created_at),
        expires=slack_date(request.expires_at),
    )


def filed_notice(
    t: Messages, request: ApprovalRequest, channel: str, correlation_id: str
) -> list[Block]:
    """What the requester sees once the request is filed, with the way to withdraw it."""
    return [
        section(
            t(
                ":inbox_tray: Request #%(id)s filed: %(summary)s will be deleted once an "
                "approver approves it in %(channel)s. It expires %(expires)s.",
                id=request.id,
                summary=escape(summary(t, request)),
                channel=f"<#{escape(channel)}>",
                expires=slack_date(request.expires_at),
            ),
            accessory=button(
                t("Cancel request"), CANCEL_ACTION, RequestRef(request_id=request.id).encode()
            ),
        ),
        footer(t, correlation_id),
    ]


def requester_update(t: Messages, request: ApprovalRequest) -> str:
    """The DM to the requester after a decision (mrkdwn)."""
    params = {"id": request.id, "summary": escape(summary(t, request))}
    status = status_line(t, request.status)
    if request.decided_by:
        parts = [
            t(
                "Your delete request #%(id)s (%(summary)s): %(status)s by %(user)s",
                status=status,
                user=f"<@{escape(request.decided_by)}>",
                **params,
            )
        ]
    else:
        parts = [
            t("Your delete request #%(id)s (%(summary)s): %(status)s", status=status, **params)
        ]
    if request.reason:
        parts.append(t("Reason: %(reason)s", reason=quoted(t, request.reason, 500)))
    outcomes = request.result.outcomes if isinstance(request.result, Executed) else []
    unknown = [o for o in outcomes if o.unknown]
    failed = [o for o in outcomes if not o.deleted and not o.unknown]
    if failed:
        parts.append(
            t.ngettext(
                "%(count)d record could not be deleted; see the card",
                "%(count)d records could not be deleted; see the card",
                len(failed),
            )
        )
    if unknown:
        checks = t(", ").join(f"`{escape(o.check)}`" for o in unknown[:3] if o.check)
        parts.append(
            t.ngettext(
                "For %(count)d record it is not known whether the delete was made; "
                "check with %(checks)s",
                "For %(count)d records it is not known whether the delete was made; "
                "check with %(checks)s",
                len(unknown),
                checks=checks,
            )
        )
    if request.status is ApprovalStatus.STALE:
        parts.append(t("The records changed after you filed it: check them and file it again"))
    # The status and the reason are quoted as they are; a further sentence ends the DM.
    end = "." if failed or unknown or request.status is ApprovalStatus.STALE else ""
    return t(". ").join(parts) + end


def reject_modal(t: Messages, request: RequestRef) -> View:
    return form_modal(
        t,
        t("Reject request"),
        t("Reject"),
        REJECT_CALLBACK,
        [
            section(
                t(
                    "Reject delete request #%(id)s. Nothing will be deleted.",
                    id=request.request_id,
                )
            ),
            text_input(
                "reason", t("Reason (the requester sees it)"), multiline=True, max_length=500
            ),
        ],
        request.encode(),
    )


# ---- what the listeners say ------------------------------------------------------------------


def card_state_text(t: Messages, request: ApprovalRequest) -> str:
    """The redrawn card's notification text."""
    return t(
        "Delete request #%(id)s: %(status)s", id=request.id, status=status_word(t, request.status)
    )


def filed_text(t: Messages, request: ApprovalRequest) -> str:
    return t("Request #%(id)s filed", id=request.id)


def nothing_filed(t: Messages, error: BackendError) -> str:
    return t(":x: %(error)s Nothing was filed.", error=escape(error.say(t)))


def changed_since_preview(t: Messages) -> str:
    return t(
        ":warning: What would be deleted changed since the preview, so nothing was "
        "filed. Run the delete command again to see it as it is now."
    )


def not_posted(t: Messages, channel: str, reason: str) -> str:
    """The card could not be posted; `reason` is Slack's error, already in code style."""
    return t(
        ":x: The request could not be posted to %(channel)s (Slack said %(reason)s), "
        "so nothing was filed. Invite the bot to that channel, or ask an admin to "
        "check APPROVAL_CHANNEL.",
        channel=f"<#{escape(channel)}>",
        reason=reason,
    )


def no_such_request(t: Messages, request_id: int) -> str:
    return t("There is no delete request #%(id)s.", id=request_id)


def reason_needed(t: Messages) -> str:
    return t("Say why, for the requester.")


def only_the_requester_cancels(t: Messages, request: ApprovalRequest) -> str:
    return t(
        "Only %(requester)s, who filed #%(id)s, can cancel it.",
        requester=f"<@{request.requester}>",
        id=request.id,
    )


def cancelled(t: Messages, request: ApprovalRequest) -> str:
    return t(
        ":leftwards_arrow_with_hook: Request #%(id)s cancelled; nothing was deleted.",
        id=request.id,
    )


def may_not_decide(t: Messages, request: ApprovalRequest, why: Refusal, attempt: str) -> str:
    """Why this person may not approve, reject or cancel the request."""
    if why == "needs approver":
        return f":no_entry: {refusal(t, Role.APPROVER, t(ATTEMPTS[attempt]))}"
    return t(":no_entry: You filed request #%(id)s; a second person must decide it.", id=request.id)
