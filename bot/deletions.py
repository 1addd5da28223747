"""Deletes as data: what to delete, what exists now, and running it. No Slack here.

An approval request stores a deletion's `operation` and the records seen when it was filed;
just before it runs, the records are fetched again, so an approver approves exactly what ran.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from bot.clients.bangwo8 import BindingsClient
from bot.clients.errors import BackendError, MalformedResponse, WriteOutcomeUnknown
from bot.clients.user_customer import UserCustomerClient
from bot.i18n import N_
from bot.models import (
    RelationKey,
    RelationSelection,
)
from bot.records import (
    BindingDeletion,
    Deletion,
    RecordOutcome,
    RelationDeletion,
)

Record = dict[str, Any]


def record_key(record: Record) -> str:
    """How a person names a record in a change report."""
    if "open_id" in record:
        return f"contact {record['cid']} {record['source']}"
    return f"customer {record['customer_id']} of user {record['user_id']}"


@dataclass(frozen=True)
class Backends:
    bindings: BindingsClient
    relations: UserCustomerClient


async def current_records(deletion: Deletion, backends: Backends) -> list[Record]:
    """What the deletion would remove now, freshly fetched, in a stable order."""
    if isinstance(deletion, BindingDeletion):
        binding = await backends.bindings.get(deletion.key)
        return [] if binding is None else [binding.model_dump(mode="json")]
    found = await backends.relations.find_many(deletion.selection.keys)
    return [row.model_dump(mode="json") for row in found.values() if row is not None]


# Record fields by the names people use (the cards' labels), not the models'.
_FIELD_NAMES = {
    "open_id": "openId",
    "app_id": "appId",
    "aid": "aId",
    "cid": "contact",
    "template_id": "template",
    "account": "account",
    "user_id": "user",
    "customer_id": "customer",
}


def describe_changes(before: list[Record], after: list[Record]) -> list[str]:
    """Plain sentences for what differs between two snapshots (empty when they match)."""
    old = {record_key(r): r for r in before}
    new = {record_key(r): r for r in after}
    changes = [f"{key} is gone" for key in old if key not in new]
    changes += [f"{key} appeared" for key in new if key not in old]
    for key in old.keys() & new.keys():
        fields = sorted(
            _FIELD_NAMES.get(name, name)
            for name in old[key]
            if old[key].get(name) != new[key].get(name)
        )
        if fields:
            changes.append(f"{key}: {', '.join(fields)} changed")
    return sorted(changes)


def lookup_of(record: Record) -> str:
    """The command that shows whether the record still exists."""
    if "open_id" in record:
        return f"/binding {record['cid']} {record['source']}"
    return f"/uc get {record['user_id']} {record['customer_id']}"


def unknown(label: str, sentence: str, check: str) -> RecordOutcome:
    return RecordOutcome(label, False, sentence, unknown=True, check=check)


def failed(label: str, error: BackendError, *, check: str | None = None) -> RecordOutcome:
    """A record the backend did not delete (or, with `check`, may have deleted)."""
    return RecordOutcome(
        label,
        False,
        error.sentence,
        unknown=check is not None,
        check=check,
        message=error.text.message,
        params=dict(error.text.params),
    )


async def execute(deletion: Deletion, backends: Backends) -> list[RecordOutcome]:
    """Run the deletion once; each record's outcome is reported, failures included."""
    if isinstance(deletion, BindingDeletion):
        key = deletion.key
        label = f"contact {key.cid} {key.source.word}"
        check = f"/binding {key.cid} {key.source.word}"
        return [await _attempt(label, check, backends.bindings.delete(key))]
    groups = await asyncio.gather(
        *(
            _delete_relations(backends.relations, user, customers)
            for user, customers in deletion.selection.by_user.items()
        )
    )
    return [outcome for group in groups for outcome in group]


async def _delete_relations(
    client: UserCustomerClient, user_id: int, customers: tuple[int, ...]
) -> list[RecordOutcome]:
    labels = [f"customer {customer} of user {user_id}" for customer in customers]
    checks = [f"/uc get {user_id} {customer}" for customer in customers]
    if len(customers) == 1:
        call = client.delete(RelationKey(user_id=user_id, customer_id=customers[0]))
    else:
        call = client.multi_delete(user_id, customers)
    outcome = await _attempt(labels[0], checks[0], call)
    # multi_delete answers once for all of a user's customers.
    return [
        replace(outcome, record=label, check=check)
        for label, check in zip(labels, checks, strict=True)
    ]


async def _attempt(label: str, check: str, call: Any) -> RecordOutcome:
    try:
        await call
    except (WriteOutcomeUnknown, MalformedResponse) as error:
        # No verdict we can read: it may have been applied.
        return failed(label, error, check=check)
    except BackendError as error:
        return failed(label, error)
    return RecordOutcome(label, True, N_("deleted"))


def verified(snapshot: list[Record], current: list[Record]) -> list[RecordOutcome]:
    """What a lookup after an interrupted delete shows: gone is deleted, present is unknown."""
    present = {record_key(record) for record in current}
    return [
        unknown(
            record_key(record),
            N_("still there when checked after an interruption; a delete may still be applied"),
            lookup_of(record),
        )
        if record_key(record) in present
        else RecordOutcome(record_key(record), True, N_("deleted (gone when checked afterwards)"))
        for record in snapshot
    ]


def restricted_to(deletion: Deletion, records: list[Record]) -> Deletion:
    """The deletion of just the records that exist: ids found missing in the preview are skipped."""
    if isinstance(deletion, BindingDeletion):
        return deletion
    keys = [RelationKey(user_id=r["user_id"], customer_id=r["customer_id"]) for r in records]
    return RelationDeletion(RelationSelection.of(keys))


def feature_of(kind: str) -> str:
    """The audit feature (and slash command) a deletion kind belongs to."""
    return "binding" if kind == BindingDeletion.kind else "uc"
