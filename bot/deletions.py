"""Deletes as data: what to delete, what exists now, and running it. No Slack here.

An approval request stores a deletion's `operation` and the records seen when it was filed;
just before it runs, the records are fetched again, so an approver approves exactly what ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.clients.bangwo8 import BindingsClient
from bot.clients.errors import BackendError, MalformedResponse, WriteOutcomeUnknown
from bot.clients.user_customer import UserCustomerClient
from bot.i18n import N_
from bot.models import Relation, RelationKey, RelationSelection, fingerprint
from bot.records import (
    BindingDeletion,
    Deletion,
    Record,
    RecordKey,
    RecordOutcome,
    RelationDeletion,
    lookup_of,
    record_name,
)


def digest(records: Sequence[Record]) -> str:
    """What a preview carries of the records it showed, to notice whether they changed since."""
    return fingerprint([record.model_dump(mode="json") for record in records])


@dataclass(frozen=True)
class Backends:
    bindings: BindingsClient
    relations: UserCustomerClient


async def current_records(deletion: Deletion, backends: Backends) -> list[Record]:
    """What the deletion would remove now, freshly fetched, in a stable order."""
    if isinstance(deletion, BindingDeletion):
        binding = await backends.bindings.get(deletion.key)
        return [] if binding is None else [binding]
    found = await backends.relations.find_many(deletion.selection.keys)
    return [row for row in found.values() if row is not None]


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


def describe_changes(before: Sequence[Record], after: Sequence[Record]) -> list[str]:
    """Plain sentences for what differs between two snapshots (empty when they match)."""
    old = {record_name(r.key): r.model_dump() for r in before}
    new = {record_name(r.key): r.model_dump() for r in after}
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


def unknown(key: RecordKey, sentence: str) -> RecordOutcome:
    return RecordOutcome(
        record=key, deleted=False, sentence=sentence, unknown=True, check=lookup_of(key)
    )


def failed(key: RecordKey, error: BackendError, *, sent: bool = False) -> RecordOutcome:
    """A record the backend did not delete (or, when `sent`, may have deleted)."""
    return RecordOutcome(
        record=key,
        deleted=False,
        sentence=error.sentence,
        unknown=sent,
        check=lookup_of(key) if sent else None,
        message=error.text.message,
        params=dict(error.text.params),
    )


async def execute(deletion: Deletion, backends: Backends) -> list[RecordOutcome]:
    """Run the deletion once; each record's outcome is reported, failures included."""
    if isinstance(deletion, BindingDeletion):
        return [await _attempt(deletion.key, backends.bindings.delete(deletion.key))]
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
    keys = [RelationKey(user_id=user_id, customer_id=customer) for customer in customers]
    if len(customers) == 1:
        call = client.delete(keys[0])
    else:
        call = client.multi_delete(user_id, customers)
    outcome = await _attempt(keys[0], call)
    # multi_delete answers once for all of a user's customers.
    return [
        outcome.model_copy(
            update={"record": key, "check": lookup_of(key) if outcome.check else None}
        )
        for key in keys
    ]


async def _attempt(key: RecordKey, call: Any) -> RecordOutcome:
    try:
        await call
    except (WriteOutcomeUnknown, MalformedResponse) as error:
        # No verdict we can read: it may have been applied.
        return failed(key, error, sent=True)
    except BackendError as error:
        return failed(key, error)
    return RecordOutcome(record=key, deleted=True, sentence=N_("deleted"))


def verified(snapshot: Sequence[Record], current: Sequence[Record]) -> list[RecordOutcome]:
    """What a lookup after an interrupted delete shows: gone is deleted, present is unknown."""
    present = {record.key for record in current}
    return [
        unknown(
            record.key,
            N_("still there when checked after an interruption; a delete may still be applied"),
        )
        if record.key in present
        else RecordOutcome(
            record=record.key, deleted=True, sentence=N_("deleted (gone when checked afterwards)")
        )
        for record in snapshot
    ]


def restricted_to(deletion: Deletion, records: Sequence[Record]) -> Deletion:
    """The deletion of just the records that exist: ids found missing in the preview are skipped."""
    if isinstance(deletion, BindingDeletion):
        return deletion
    keys = [record.key for record in records if isinstance(record, Relation)]
    return RelationDeletion(RelationSelection.of(keys))
