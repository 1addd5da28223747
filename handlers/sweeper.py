"""The sweeper: every replica, every SWEEP_INTERVAL, settles what no click will.

It expires due requests and redraws their cards, reminds the approval channel once of a
request pending past half its time, and settles requests a crashed or stalled replica left
approved or executing past their lease (see bot.execution). Every step is a conditional
update in the store, so replicas sweeping at the same moment do each thing once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import fallback_text, section
from bot.deps import Deps
from bot.store import ApprovalRequest, ApprovalStatus
from handlers.approvals import views as ui
from handlers.approvals.listeners import ApprovalHandlers

log = logging.getLogger("handlers.sweeper")


class Sweeper:
    def __init__(self, deps: Deps, client: AsyncWebClient) -> None:
        self.deps = deps
        self.client = client
        self.approvals = ApprovalHandlers(deps)

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep now and then every interval until `stop`; a failed sweep is logged, not fatal."""
        interval = self.deps.settings.sweep_interval.total_seconds()
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:  # a sweep that failed must not end the ones after it
                log.exception("sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def sweep(self) -> None:
        await self.approvals.expire_due(self.client)
        for request in await self.deps.store.remind_due(self.deps.clock()):
            await self._remind(request)
        lease = self.deps.settings.approval_lease
        for stranded in await self.deps.store.stranded(self.deps.clock(), lease):
            await self._settle(stranded)

    async def _settle(self, stranded: ApprovalRequest) -> None:
        settled = await self.approvals.executions.settle(stranded)
        if settled is None:
            return
        log.info(
            "stranded request settled",
            extra={"request": settled.id, "status": settled.status.value},
        )
        if settled.status in (ApprovalStatus.PENDING, ApprovalStatus.EXPIRED):
            # Nothing was sent: the card offers the approval again (or says it expired).
            await self.approvals.redraw(self.client, settled)
            return
        await self.approvals.conclude(self.client, settled)

    async def _remind(self, request: ApprovalRequest) -> None:
        channel = request.message_channel or self.deps.settings.approval_channel
        if not channel:
            return
        # Read in the approval channel: in the requester's language, like the card.
        t = await self.deps.locales.messages(self.client, request.requester)
        text = ui.reminder(t, request)
        waiting = t("Delete request #%(id)s is waiting for an approver", id=request.id)
        try:
            await self.client.chat_postMessage(
                channel=channel,
                text=fallback_text(waiting),
                blocks=[section(text)],
            )
        except SlackApiError as error:
            log.warning(
                "reminder not posted",
                extra={"request": request.id, "error": error.response.get("error")},
            )


@asynccontextmanager
async def sweeping(deps: Deps, bolt_app: AsyncApp) -> AsyncIterator[Sweeper]:
    """The sweeper's loop, for as long as the app serves (both modes, every replica)."""
    sweeper = Sweeper(deps, bolt_app.client)
    stop = asyncio.Event()
    task = asyncio.create_task(sweeper.run(stop))
    try:
        yield sweeper
    finally:
        stop.set()
        await task
