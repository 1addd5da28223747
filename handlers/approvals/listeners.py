"""Deletes need a second person: filing, approving, rejecting and cancelling requests.

Every transition is one conditional update in the store, so two approvers clicking at once,
or one clicking twice, run a delete exactly once; the card is redrawn from the stored request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import code, fallback_text, mrkdwn_text, notice
from bot.blocks.modals import message_modal
from bot.clients.errors import BackendError
from bot.i18n import N_, Messages
from bot.payloads import RequestRef
from bot.records import BindingDeletion, Deletion, RelationDeletion
from bot.roles import Role
from bot.store import ApprovalRequest, ApprovalStatus, RecordsClaimed
from handlers.approvals import cards, views
from handlers.approvals.announce import ApprovalCards
from handlers.bindings.payloads import DELETE_ACTION as BINDING_DELETE_ACTION
from handlers.bindings.payloads import BindingDeleteButton
from handlers.common import Requires, audit, authorize
from handlers.context import Invocation
from handlers.user_customer.payloads import DELETE_ACTION as RELATIONS_DELETE_ACTION
from handlers.user_customer.payloads import RelationsDeleteButton
from handlers.words import view_values

log = logging.getLogger("handlers.approvals")

_FILE = Requires(Role.EDITOR, N_("request deletes"), action="request delete")
_REJECT = Requires(Role.APPROVER, N_("reject delete requests"), action="reject")


class ApprovalHandlers(ApprovalCards):
    def register(self, app: AsyncApp) -> None:
        app.action(BINDING_DELETE_ACTION)(self.on_binding_delete)
        app.action(RELATIONS_DELETE_ACTION)(self.on_relations_delete)
        app.action(cards.APPROVE_ACTION)(self.on_approve)
        app.action(cards.REJECT_ACTION)(self.on_reject)
        app.view(views.REJECT_CALLBACK)(self.on_reject_reason)
        app.action(views.CANCEL_ACTION)(self.on_cancel)

    # ---- filing ----

    async def on_binding_delete(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        value = BindingDeleteButton.decode(action.get("value"))
        await self.file(BindingDeletion(value.key), value.seen, here)

    async def on_relations_delete(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        value = RelationsDeleteButton.decode(action.get("value"))
        await self.file(RelationDeletion(value.selection), value.seen, here)

    async def file(self, deletion: Deletion, seen: str, here: Invocation) -> None:
        """File what the preview showed, if it is still exactly that, and post the card."""
        user, respond, client, ref = here.user, here.respond, here.client, here.ref
        feature = deletion.kind
        if not await authorize(self.deps, here, _FILE, feature=feature, target=deletion.summary):
            return
        t = await self.deps.locales.messages(client, user)
        try:
            previewed = await self.service.as_previewed(deletion, seen)
        except BackendError as error:
            await _tell(t, respond, views.nothing_filed(t, error), ref)
            return
        if previewed is None:
            await _tell(t, respond, views.changed_since_preview(t), ref, replace=True)
            return
        deletion, records = previewed
        channel = here.channel
        # A lapsed request must not keep its records from being filed again.
        await self.expire_due(client)
        try:
            request = await self.service.file(deletion, records, user, channel)
        except RecordsClaimed as claimed:
            await _tell(
                t,
                respond,
                views.already_requested(t, claimed.holders, len(records)),
                ref,
                replace=True,
            )
            target = deletion.summary
            holders = ", ".join(sorted({f"#{r.id}" for r in claimed.holders.values()}))
            await audit(
                self.deps,
                user=user,
                action="request delete",
                feature=feature,
                target=target,
                outcome="refused",
                detail=f"already in open request {holders}",
            )
            return
        card_channel = self.deps.settings.approval_channel or channel
        try:
            posted = await client.chat_postMessage(
                channel=card_channel,
                text=fallback_text(views.card_text(t, request)),
                blocks=cards.approval_card(t, request),
            )
        except SlackApiError as error:
            # No card, no approver: a request nobody can see must not stay pending.
            await self.service.decide(request.id, ApprovalStatus.CANCELLED, user)
            reason = code(error.response.get("error", "unknown error"))
            await _tell(t, respond, views.not_posted(t, card_channel, reason), ref)
            await self._audit(request, user, "request delete", "not posted", detail=reason)
            return
        await self.service.attach_message(request, posted["channel"], posted["ts"])
        await respond(
            text=fallback_text(views.filed_text(t, request)),
            blocks=views.filed_notice(t, request, card_channel, ref),
            replace_original=True,
        )
        await self._audit(request, user, "request delete", f"filed #{request.id}")

    # ---- deciding ----

    async def on_approve(self, action: dict[str, Any], here: Invocation) -> None:
        async def refusal(t: Messages, request: ApprovalRequest) -> str | None:
            return await self._refusal(t, request, here.user, "approve")

        decided = await self._decide_clicked(action, here, ApprovalStatus.APPROVED, refusal)
        if decided is not None:
            await self.run_approved(decided[1], here.client)

    async def on_reject(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        clicked = RequestRef.decode(action.get("value"))
        # Asked again when the reason is submitted; here it only spares a useless modal.
        if not await authorize(
            self.deps, here, _REJECT, feature="approvals", target=f"#{clicked.request_id}"
        ):
            return
        # The trigger dies 3 s after the click: open the modal before reading anything.
        await here.client.views_open(
            trigger_id=here.trigger_id, view=views.reject_modal(here.t, clicked)
        )

    async def on_reject_reason(self, view: dict[str, Any], here: Invocation) -> None:
        request_id = RequestRef.decode(view.get("private_metadata")).request_id
        reason = view_values(view).get("reason")
        ack, client, user, ref, t = here.ack, here.client, here.user, here.ref, here.t
        if not reason:
            errors = {"reason": views.reason_needed(t)}
            await ack(response_action="errors", errors=errors)
            return
        request = await self.service.get(request_id)
        refused = (
            views.no_such_request(t, request_id)
            if request is None
            else await self._refusal(t, request, user, "reject")
        )
        if refused is not None:
            await ack(
                response_action="update",
                view=message_modal(t, t("Reject request"), notice(t, refused, ref)),
            )
            return
        await ack()
        decision = await self.service.decide(
            request_id, ApprovalStatus.REJECTED, user, reason=reason
        )
        request = decision.request
        if not decision.won:
            await self._lost(t, request, user, "reject", None, client, ref)
            return
        await self._conclude(client, request, user, "reject", "rejected", detail=reason)

    async def on_cancel(self, action: dict[str, Any], here: Invocation) -> None:
        user = here.user

        async def refusal(t: Messages, request: ApprovalRequest) -> str | None:
            if request.requester == user:
                return None
            await self._audit(request, user, "cancel", "refused", detail="not the requester")
            return views.only_the_requester_cancels(t, request)

        decided = await self._decide_clicked(action, here, ApprovalStatus.CANCELLED, refusal)
        if decided is not None:
            t, cancelled = decided
            await _tell(t, here.respond, views.cancelled(t, cancelled), here.ref, replace=True)
            await self._audit(cancelled, user, "cancel", "cancelled")

    # ---- helpers ----

    async def _decide(
        self,
        t: Messages,
        request: ApprovalRequest,
        to: ApprovalStatus,
        user: str,
        respond: AsyncRespond,
        client: AsyncWebClient,
        ref: str,
    ) -> ApprovalRequest | None:
        """The request after the transition, or None when someone else already decided it."""
        decision = await self.service.decide(request.id, to, user)
        if decision.won:
            return decision.request
        attempt = "approve" if to is ApprovalStatus.APPROVED else "cancel"
        await self._lost(t, decision.request, user, attempt, respond, client, ref)
        return None

    async def _decide_clicked(
        self,
        action: dict[str, Any],
        here: Invocation,
        to: ApprovalStatus,
        refusal: Callable[[Messages, ApprovalRequest], Awaitable[str | None]],
    ) -> tuple[Messages, ApprovalRequest] | None:
        """Approve and Cancel: acked, the request the button names moved `to`, its card
        redrawn; with the clicker's words. None when there is no such request, `refusal`
        says why the clicker may not (audited there), or someone decided it first: the
        clicker is told."""
        await here.ack()
        user, respond, client, ref = here.user, here.respond, here.client, here.ref
        request_id = RequestRef.decode(action.get("value")).request_id
        t = await self.deps.locales.messages(client, user)
        request = await self.service.get(request_id)
        if request is None:
            await _tell(t, respond, views.no_such_request(t, request_id), ref)
            return None
        refused = await refusal(t, request)
        if refused is not None:
            await _tell(t, respond, refused, ref)
            return None
        decided = await self._decide(t, request, to, user, respond, client, ref)
        if decided is None:
            return None
        await self._redraw(client, decided)
        return t, decided

    async def _refusal(
        self, t: Messages, request: ApprovalRequest, user: str, attempt: str
    ) -> str | None:
        """Why `user` may not decide `request`, from the settings as they are now (the
        refusal is audited), or None when they may."""
        why = self.service.refusal(request, user)
        if why is None:
            return None
        detail = f"needs {Role.APPROVER.value}" if why == "needs approver" else why
        log.info("refused", extra={"user": user, "action": attempt, "request": request.id})
        await self._audit(request, user, attempt, "refused", detail=detail)
        return views.may_not_decide(t, request, why, attempt)

    async def _lost(
        self,
        t: Messages,
        request: ApprovalRequest,
        user: str,
        attempt: str,
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        ref: str,
    ) -> None:
        """Someone acted on a request that is no longer pending: say what it is now."""
        sentence = views.no_longer_pending(t, request)
        if request.status is ApprovalStatus.EXPIRED:
            await self._redraw(client, request)
        if respond is not None:
            await _tell(t, respond, sentence, ref)
        elif request.message_channel:
            await client.chat_postEphemeral(
                channel=request.message_channel,
                user=user,
                text=mrkdwn_text(sentence),
                blocks=notice(t, sentence, ref),
            )
        await self._audit(
            request, user, attempt, "refused", detail=f"request is {request.status.value}"
        )


async def _tell(
    t: Messages, respond: AsyncRespond, sentence: str, ref: str, *, replace: bool = False
) -> None:
    await respond(
        text=mrkdwn_text(sentence), blocks=notice(t, sentence, ref), replace_original=replace
    )
