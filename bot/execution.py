"""Running an approved delete as a journal, and settling one a crash left behind. No Slack.

Running: EXECUTING (this attempt) → fresh re-check → `sent_at` recorded → the write → the
outcome. Each store step is conditional on the attempt: if a sweeper took the request over
(this process was too slow, or is presumed dead), nothing more is sent or recorded here.

Settling (the sweeper): a request left in APPROVED or EXECUTING past its lease is taken
over as a new attempt and its records are fetched again. Nothing was sent (no `sent_at`):
it is pending again, or stale if the records changed. Something may have been sent: it is
executed if the records are gone, otherwise outcome unknown with the lookup that checks it.
A settling never sends a delete.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clients.errors import BackendError
from bot.deletions import (
    Backends,
    current_records,
    describe_changes,
    execute,
    verified,
)
from bot.records import Executed, NothingDeleted, RecordOutcome, Result, Stale
from bot.store import ApprovalRequest, ApprovalStatus, ApprovalStore

log = logging.getLogger("bot.execution")


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def outcome_status(outcomes: list[RecordOutcome]) -> ApprovalStatus:
    if any(outcome.unknown for outcome in outcomes):
        return ApprovalStatus.UNKNOWN
    if any(not outcome.deleted for outcome in outcomes):
        return ApprovalStatus.FAILED
    return ApprovalStatus.EXECUTED


@dataclass
class Executions:
    store: ApprovalStore
    backends: Backends
    lease: timedelta
    clock: Any
    executor: str = field(default_factory=this_process)

    async def run(self, approved: ApprovalRequest) -> ApprovalRequest | None:
        """Execute an approved request once; the settled request, or None if not ours."""
        request = await self.store.begin_execution(
            approved, executor=self.executor, now=self.clock(), lease=self.lease
        )
        if request is None:
            return None
        deletion = request.deletion
        try:
            records = await current_records(deletion, self.backends)
        except BackendError as error:
            # The English for the log; the message and its parameters for each reader.
            failure = NothingDeleted(
                error=f"Nothing was deleted: {error.sentence}",
                message=error.text.message,
                params=dict(error.text.params),
            )
            return await self._finish(request, ApprovalStatus.FAILED, failure)
        changes = describe_changes(request.snapshot, records)
        if changes:
            return await self._finish(request, ApprovalStatus.STALE, Stale(changes=changes))
        if not await self.store.mark_sent(request.id, attempt=request.attempt, now=self.clock()):
            log.warning("execution taken over before sending", extra={"request": request.id})
            return None
        outcomes = await execute(deletion, self.backends)
        return await self._finish(request, outcome_status(outcomes), Executed(outcomes=outcomes))

    async def settle(self, stranded: ApprovalRequest) -> ApprovalRequest | None:
        """Record what is true of a stranded request; None if another replica has it or the
        records cannot be fetched now (the next sweep tries again)."""
        request = await self.store.take_over(
            stranded, executor=self.executor, now=self.clock(), lease=self.lease
        )
        if request is None:
            return None
        try:
            records = await current_records(request.deletion, self.backends)
        except BackendError as error:
            log.warning(
                "stranded request not settled yet",
                extra={"request": request.id, "error": error.sentence},
            )
            return None
        if request.sent_at is None:
            changes = describe_changes(request.snapshot, records)
            if changes:
                return await self._finish(request, ApprovalStatus.STALE, Stale(changes=changes))
            return await self.store.reopen(request, now=self.clock())
        outcomes = verified(request.snapshot, records)
        return await self._finish(request, outcome_status(outcomes), Executed(outcomes=outcomes))

    async def _finish(
        self, request: ApprovalRequest, status: ApprovalStatus, result: Result
    ) -> ApprovalRequest | None:
        recorded = await self.store.finish(
            request.id, attempt=request.attempt, to=status, result=result, now=self.clock()
        )
        log.info(
            "approval finished" if recorded else "approval outcome not recorded: taken over",
            extra={"request": request.id, "status": status.value, "attempt": request.attempt},
        )
        return await self.store.get(request.id) if recorded else None
