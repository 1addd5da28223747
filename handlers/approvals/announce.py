"""What an approval's state shows in Slack: its card redrawn, the requester told, an approved
delete run and concluded. Best effort: the store holds the truth, and the audit row comes first."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import fallback_text, section
from bot.deps import Deps
from bot.store import ApprovalRequest
from handlers.approvals import cards, views
from handlers.approvals.service import ApprovalService

log = logging.getLogger("handlers.approvals")


class ApprovalCards:
    """The base of the approval listeners; the sweeper and App Home call it too."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.service = ApprovalService(deps)
        # The sweeper settles stranded executions through the same journal.
        self.executions = self.service.executions

    async def run_approved(self, request: ApprovalRequest, client: AsyncWebClient) -> None:
        """Check the records are still what the approver saw, then delete them once."""
        finished = await self.service.execute(request)
        if finished is not None:
            await self.conclude(client, finished)

    async def conclude(self, client: AsyncWebClient, request: ApprovalRequest) -> None:
        """An execution (or a sweeper's settling) has its outcome: audit, redraw, tell.

        One audit row for the approval and how it ended (a stale request deleted nothing).
        """
        await self._conclude(
            client, request, request.decided_by or "", "approve", request.status.value
        )

    async def expire_due(self, client: AsyncWebClient) -> list[ApprovalRequest]:
        """Expire every request past its time and redraw its card (buttons gone)."""
        expired = await self.service.expire_due()
        for request in expired:
            await self._redraw(client, request)
            await self._audit(request, "system", "expire", "expired")
        return expired

    async def redraw(self, client: AsyncWebClient, request: ApprovalRequest) -> None:
        await self._redraw(client, request)

    async def _conclude(
        self,
        client: AsyncWebClient,
        request: ApprovalRequest,
        user: str,
        action: str,
        outcome: str,
        detail: str = "",
    ) -> None:
        """A request has its final state: audit it first (the record that must not be lost),
        then redraw the card and tell the requester, both best effort."""
        await self._audit(request, user, action, outcome, detail=detail)
        await self._redraw(client, request)
        await self._tell_requester(client, request)

    async def _redraw(self, client: AsyncWebClient, request: ApprovalRequest) -> None:
        """Best effort: the store holds the truth, and a card Slack refused must not stop a
        decision from running (the next click redraws it)."""
        if not (request.message_channel and request.message_ts):
            return
        # The card is the requester's: it stays in their language whoever acts on it.
        t = await self.deps.locales.messages(client, request.requester)
        try:
            await client.chat_update(
                channel=request.message_channel,
                ts=request.message_ts,
                text=fallback_text(views.card_state_text(t, request)),
                blocks=cards.approval_card(t, request),
            )
        except SlackApiError as error:
            log.warning(
                "approval card not redrawn",
                extra={"request": request.id, "error": error.response.get("error")},
            )

    async def _tell_requester(self, client: AsyncWebClient, request: ApprovalRequest) -> None:
        """Best effort, like the card: the outcome is already stored and audited."""
        t = await self.deps.locales.messages(client, request.requester)
        text = views.requester_update(t, request)
        try:
            opened = await client.conversations_open(users=request.requester)
            await client.chat_postMessage(
                channel=opened["channel"]["id"], text=text, blocks=[section(text)]
            )
        except SlackApiError as error:
            log.warning(
                "requester not told",
                extra={"request": request.id, "error": error.response.get("error")},
            )

    async def _audit(
        self, request: ApprovalRequest, user: str, action: str, outcome: str, detail: str = ""
    ) -> None:
        await self.service.audit(request, user, action, outcome, detail=detail)
