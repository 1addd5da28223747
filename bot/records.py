"""Typed records that the store, the approvals service and the views share.

Pydantic and the standard library only: views (each feature's cards and views) read these
without loading the database layer (bot/store) or an HTTP client (bot/clients).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    field_validator,
)

from bot.clients.errors import BackendError
from bot.i18n import Messages, Sentence
from bot.models import (
    AccountSource,
    Binding,
    BindingKey,
    Relation,
    RelationKey,
    RelationSelection,
)

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
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: int
    requester: str
    channel_id: str
    # The store's JSON columns, decoded here once: `operation`, `snapshot`, `result`.
    deletion: StoredDeletion = Field(validation_alias="operation")
    snapshot: list[Record]
    summary: str
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    result: StoredResult | None
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


# Why a person may not decide a request, as the audit log says it.
Refusal = Literal["needs approver", "own request"]


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

    # The feature it belongs to, as the audit log and the slash command name it.
    kind: ClassVar[str] = "binding"

    @property
    def summary(self) -> str:
        return f"the {self.key.source.label} binding of contact {self.key.cid}"


@dataclass(frozen=True)
class RelationDeletion:
    selection: RelationSelection

    kind: ClassVar[str] = "uc"
    # What rows filed before the name was one (`uc`) hold.
    old_kind: ClassVar[str] = "user_customer"

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
    """The deletion as the store's `operation` column holds it."""
    if isinstance(deletion, BindingDeletion):
        return {"kind": deletion.kind, "cid": deletion.key.cid, "source": deletion.key.source.value}
    return {"kind": deletion.kind, "selection": deletion.selection.encode()}


def deletion_from(operation: dict[str, Any]) -> Deletion:
    """The deletion in a stored `operation`; rows filed before `uc` say `user_customer`."""
    if operation["kind"] == BindingDeletion.kind:
        return BindingDeletion(
            BindingKey(cid=operation["cid"], source=AccountSource(operation["source"]))
        )
    if operation["kind"] in (RelationDeletion.kind, RelationDeletion.old_kind):
        return RelationDeletion(RelationSelection.decode(operation["selection"]))
    raise ValueError(f"not a kind of deletion: {operation['kind']!r}")


def _decoded_deletion(raw: object) -> object:
    return deletion_from(raw) if isinstance(raw, dict) else raw


StoredDeletion = Annotated[
    Deletion, BeforeValidator(_decoded_deletion), PlainSerializer(operation_of)
]


# ---- the records a delete removes, and how they are named -----------------------------------

# A record as fetched when a delete is previewed, filed and run.
Record = Binding | Relation
RecordKey = BindingKey | RelationKey


def record_name(key: RecordKey) -> str:
    """How the store names a record (its claim on it) and a change report says it, in English.

    The claims of open requests hold these strings: they must not change shape.
    """
    if isinstance(key, BindingKey):
        return f"contact {key.cid} {key.source.value}"
    return f"customer {key.customer_id} of user {key.user_id}"


_CONTACT = re.compile(r"contact (\d+) (\w+)")
_CUSTOMER = re.compile(r"customer (\d+) of user (\d+)")


def key_named(name: str) -> RecordKey | None:
    """The record `record_name` named (older rows spell a source as people type it)."""
    if (contact := _CONTACT.fullmatch(name)) and (
        source := AccountSource.parse(contact[2])
    ) is not None:
        return BindingKey(cid=int(contact[1]), source=source)
    if customer := _CUSTOMER.fullmatch(name):
        return RelationKey(user_id=int(customer[2]), customer_id=int(customer[1]))
    return None


def lookup_of(key: RecordKey) -> str:
    """The command that shows whether the record still exists."""
    if isinstance(key, BindingKey):
        return f"/binding {key.cid} {key.source.word}"
    return f"/uc get {key.user_id} {key.customer_id}"


def _key_of(raw: object) -> object:
    return (key_named(raw) or raw) if isinstance(raw, str) else raw


def _name_of(key: RecordKey | str) -> str:
    return key if isinstance(key, str) else record_name(key)


# A record as an outcome names it: its key, or the stored name when it is none we know.
NamedRecord = Annotated[
    RecordKey | str, BeforeValidator(_key_of), PlainSerializer(_name_of, return_type=str)
]


# ---- what running a delete came to -----------------------------------------------------------


class RecordOutcome(BaseModel):
    """What running a delete did to one record."""

    model_config = ConfigDict(frozen=True)

    record: NamedRecord
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


class _Result(BaseModel):
    # Forbidding other fields tells the stored shapes apart.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Executed(_Result):
    """The delete was sent: each record's outcome (stored as `{"outcomes": [...]}`)."""

    outcomes: list[RecordOutcome]


class Stale(_Result):
    """Not run: the records changed after filing (`{"changes": [...]}`)."""

    changes: list[str]


class NothingDeleted(_Result):
    """Not run: the records could not be fetched again. `error` is the English for the log;
    `message` and `params` the backend error, for each reader (older rows hold only `error`)."""

    error: str
    message: str | None = None
    params: dict[str, Any] | None = None

    @field_validator("params", mode="before")
    @classmethod
    def _as_dict(cls, value: Any) -> Any:
        return dict(value) if value is not None else None


class Interrupted(_Result):
    """An approval interrupted before anything was sent (`{"interrupted": {"approved_by"}}`)."""

    approved_by: str | None = None


Result = Executed | Stale | NothingDeleted | Interrupted
_SENT_OR_NOT = TypeAdapter(Executed | Stale | NothingDeleted)


def result_json(result: Result) -> dict[str, Any]:
    """The result as the store's `result` column holds it."""
    if isinstance(result, Interrupted):
        return {"interrupted": result.model_dump(mode="json")}
    return result.model_dump(mode="json")


def result_from(raw: dict[str, Any]) -> Result:
    if set(raw) == {"interrupted"}:
        return Interrupted.model_validate(raw["interrupted"])
    return _SENT_OR_NOT.validate_python(raw)


def _decoded_result(raw: object) -> object:
    return result_from(raw) if isinstance(raw, dict) else raw


StoredResult = Annotated[Result, BeforeValidator(_decoded_result), PlainSerializer(result_json)]

# The request's fields name types defined after it.
ApprovalRequest.model_rebuild()
