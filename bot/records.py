"""Typed records that the store, the approvals service and the views share.

Pydantic and the standard library only: views (bot/blocks) read these without loading the
database layer (bot/store) or an HTTP client (bot/clients).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.clients.errors import BackendError
from bot.models import AccountSource, Binding

# What a lookup across sources found: each source's bindings, or why it could not say.
BindingsBySource = dict[AccountSource, list[Binding] | BackendError]


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"
    EXECUTING = "executing"
    # Sent, but no verdict came back: the record's lookup says whether it was applied.
    UNKNOWN = "unknown"


DECISIONS = frozenset({ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.CANCELLED})
OUTCOMES = frozenset(
    {ApprovalStatus.EXECUTED, ApprovalStatus.FAILED, ApprovalStatus.STALE, ApprovalStatus.UNKNOWN}
)
OPEN = frozenset({ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.EXECUTING})


class ApprovalRequest(BaseModel):
    # Frozen so nobody mistakes editing a returned request for changing the stored one.
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    requester: str
    channel_id: str
    operation: dict[str, Any]
    snapshot: list[dict[str, Any]]
    summary: str
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None
    finished_at: datetime | None
    message_channel: str | None
    message_ts: str | None
    attempt: int = 0
    executor: str | None = None
    started_at: datetime | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    reminded_at: datetime | None = None


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    actor: str
    action: str
    feature: str
    target: str
    outcome: str
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether this caller made the decision, and the request as it stands afterwards."""

    won: bool
    request: ApprovalRequest


@dataclass(frozen=True)
class RecordOutcome:
    """What running a delete did to one record."""

    record: str
    deleted: bool
    sentence: str
    # Sent, but no verdict: `check` is the lookup that says whether it was deleted.
    unknown: bool = False
    check: str | None = None


class RecordsClaimed(Exception):
    """Some records are already in an open request; `holders` maps each to that request."""

    def __init__(self, holders: dict[str, ApprovalRequest]) -> None:
        super().__init__(f"records in open requests: {sorted(holders)}")
        self.holders = holders


class UnknownRequestError(LookupError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"no approval request with id {request_id}")
        self.request_id = request_id
