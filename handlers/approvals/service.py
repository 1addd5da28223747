"""Approvals with no Slack in them: what may be filed, who may decide, the store's transitions,
running an approved delete, and the audit rows. The listeners turn each answer into Slack."""

from __future__ import annotations

from bot.deletions import current_records, digest, restricted_to
from bot.deps import Deps
from bot.execution import Executions
from bot.records import ApprovalRequest, ApprovalStatus, Decision, Deletion, Record, Refusal
from bot.roles import Role


class ApprovalService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.executions = Executions(
            deps.store, deps.backends, deps.settings.approval_lease, deps.clock
        )

    async def as_previewed(
        self, deletion: Deletion, seen: str
    ) -> tuple[Deletion, list[Record]] | None:
        """The deletion and its records fetched afresh, or None when they are no longer what the
        preview showed (a backend failure raises `BackendError`)."""
        records = await current_records(deletion, self.deps.backends)
        if not records or digest(records) != seen:
            return None
        return restricted_to(deletion, records), records

    async def file(
        self, deletion: Deletion, records: list[Record], requester: str, channel: str
    ) -> ApprovalRequest:
        """A pending request; `RecordsClaimed` when an open request already holds a record."""
        return await self.deps.store.file(
            deletion=deletion,
            requester=requester,
            channel_id=channel,
            snapshot=records,
            now=self.deps.clock(),
            ttl=self.deps.settings.approval_ttl,
        )

    async def get(self, request_id: int) -> ApprovalRequest | None:
        return await self.deps.store.get(request_id)

    def refusal(self, request: ApprovalRequest, user: str) -> Refusal | None:
        """Why `user` may not decide `request`, from the settings as they are now."""
        if not self.deps.roles.allows(user, Role.APPROVER):
            return "needs approver"
        if request.requester == user and not self.deps.settings.allow_self_approval:
            return "own request"
        return None

    async def attach_message(self, request: ApprovalRequest, channel: str, ts: str) -> None:
        """Where the request's card is, so its outcome can redraw it."""
        await self.deps.store.attach_message(request.id, channel, ts)

    async def decide(
        self, request_id: int, to: ApprovalStatus, actor: str, *, reason: str | None = None
    ) -> Decision:
        """One conditional transition; `Decision.won` is False when someone decided first."""
        return await self.deps.store.decide(
            request_id, to=to, actor=actor, now=self.deps.clock(), reason=reason
        )

    async def expire_due(self) -> list[ApprovalRequest]:
        return await self.deps.store.expire_due(self.deps.clock())

    async def execute(self, request: ApprovalRequest) -> ApprovalRequest | None:
        """Check the records are still what the approver saw, then delete them once; the
        request as it ended, or None when another replica runs it."""
        return await self.executions.run(request)

    async def audit(
        self, request: ApprovalRequest, user: str, action: str, outcome: str, detail: str = ""
    ) -> None:
        await self.deps.store.audit(
            actor=user,
            action=action,
            feature=request.deletion.kind,
            target=f"#{request.id} {request.summary}",
            outcome=outcome,
            detail=detail,
            now=self.deps.clock(),
        )
