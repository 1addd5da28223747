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
from bot.i18n import Messages, Sentence
from bot.models import AccountSource, Binding, BindingKey, RelationSelection

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
    # The English sentence (`N_`-marked when it has no parameters); with `message`, the
    # backend error's message and parameters, so each reader reads it in their language.
    sentence: str
    # Sent, but no verdict: `check` is the lookup that says whether it was deleted.
    unknown: bool = False
    check: str | None = None
    message: str | None = None
    params: dict[str, Any] | None = None

    def say(self, t: Messages) -> str:
        if self.message is not None:
            return Sentence(self.message, **(self.params or {})).say(t)
        # Stored English, looked up as written (older rows may hold a backend's `%`).
        return t.translations.gettext(self.sentence)


class RecordsClaimed(Exception):
    """Some records are already in an open request; `holders` maps each to that request."""

    def __init__(self, holders: dict[str, ApprovalRequest]) -> None:
        super().__init__(f"records in open requests: {sorted(holders)}")
        self.holders = holders


class UnknownRequestError(LookupError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"no approval request with id {request_id}")
        self.request_id = request_id


@dataclass(frozen=True)
class BindingDeletion:
    key: BindingKey

    kind = "binding"

    @property
    def summary(self) -> str:
        return f"the {self.key.source.label} binding of contact {self.key.cid}"


@dataclass(frozen=True)
class RelationDeletion:
    selection: RelationSelection

    kind = "user_customer"

    @property
    def count(self) -> int:
        return len(self.selection.keys)

    @property
    def summary(self) -> str:
        users = len(self.selection.by_user)
        noun = "relation" if self.count == 1 else "relations"
        whose = f"user {next(iter(self.selection.by_user))}" if users == 1 else f"{users} users"
        return f"{self.count} {noun} of {whose}"


Deletion = BindingDeletion | RelationDeletion


def operation_of(deletion: Deletion) -> dict[str, Any]:
    if isinstance(deletion, BindingDeletion):
        return {"kind": deletion.kind, "cid": deletion.key.cid, "source": deletion.key.source.value}
    return {"kind": deletion.kind, "selection": deletion.selection.encode()}


def deletion_from(operation: dict[str, Any]) -> Deletion:
    if operation["kind"] == BindingDeletion.kind:
        return BindingDeletion(
            BindingKey(cid=operation["cid"], source=AccountSource(operation["source"]))
        )
    return RelationDeletion(RelationSelection.decode(operation["selection"]))
