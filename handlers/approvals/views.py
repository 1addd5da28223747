"""The sentences approvals say outside the cards (pure); the cards are `bot.blocks.approvals`."""

from __future__ import annotations

from bot.blocks import approvals as ui
from bot.i18n import N_, Messages
from bot.records import ApprovalRequest, ApprovalStatus

# What a refused approver tried, for the refusal sentence.
ATTEMPTS = {
    "approve": N_("approve delete requests"),
    "reject": N_("reject delete requests"),
    "cancel": N_("cancel delete requests"),
}


def card_text(t: Messages, request: ApprovalRequest) -> str:
    return t("Delete request #%(id)s: %(summary)s", id=request.id, summary=ui.summary(t, request))


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
            status=ui.status_word(t, request.status),
            **params,
        )
    if request.status is ApprovalStatus.REJECTED:
        return t("Request #%(id)s was already rejected by %(who)s.", **params)
    return t("Request #%(id)s was cancelled by the requester.", **params)
