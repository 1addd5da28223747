"""Approval records as the store keeps them: one encode and one decode each, round-trips, and
rows written by older versions still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import messages
from bot.models import AccountSource, Binding, BindingKey, Relation, RelationKey, RelationSelection
from bot.records import (
    ApprovalRequest,
    BindingDeletion,
    Deletion,
    Executed,
    Interrupted,
    NothingDeleted,
    RecordOutcome,
    RelationDeletion,
    Result,
    Stale,
    deletion_from,
    key_named,
    lookup_of,
    operation_of,
    record_name,
    result_from,
    result_json,
)
from handlers.approvals.cards import approval_card

ids = st.integers(min_value=1, max_value=10**12)
binding_keys = st.builds(BindingKey, cid=ids, source=st.sampled_from(AccountSource))
relation_keys = st.builds(RelationKey, user_id=ids, customer_id=ids)
keys = binding_keys | relation_keys
deletions: st.SearchStrategy[Deletion] = st.builds(BindingDeletion, binding_keys) | st.builds(
    RelationDeletion, st.lists(relation_keys, min_size=1, max_size=20).map(RelationSelection.of)
)
texts = st.text(max_size=40)
outcomes = st.builds(
    RecordOutcome,
    record=keys | st.just("an older name"),
    deleted=st.booleans(),
    sentence=texts,
    unknown=st.booleans(),
    check=st.none() | texts,
    message=st.none() | texts,
    params=st.none() | st.dictionaries(st.sampled_from(["cid", "reason"]), texts, max_size=2),
)
results: st.SearchStrategy[Result] = st.one_of(
    st.builds(Executed, outcomes=st.lists(outcomes, max_size=5)),
    st.builds(Stale, changes=st.lists(texts, max_size=5)),
    st.builds(
        NothingDeleted,
        error=texts,
        message=st.none() | texts,
        params=st.none() | st.dictionaries(st.just("reason"), texts, max_size=1),
    ),
    st.builds(Interrupted, approved_by=st.none() | st.from_regex(r"U[0-9A-Z]{8}", fullmatch=True)),
)


@given(deletions)
def test_a_deletion_round_trips_through_its_stored_operation(deletion: Deletion) -> None:
    assert deletion_from(operation_of(deletion)) == deletion


@given(results)
def test_a_result_round_trips_through_its_stored_json(result: Result) -> None:
    assert result_from(result_json(result)) == result


@given(keys)
def test_a_record_is_named_and_read_back_as_the_same_key(key: BindingKey | RelationKey) -> None:
    assert key_named(record_name(key)) == key


def test_names_and_lookups_keep_their_shapes() -> None:
    """Open requests' claims hold these names: a new filing must collide with them."""
    wecom = BindingKey(cid=30851821, source=AccountSource.WORK_WECHAT)
    relation = RelationKey(user_id=998, customer_id=1001)
    assert record_name(wecom) == "contact 30851821 workWechat"
    assert record_name(relation) == "customer 1001 of user 998"
    assert lookup_of(wecom) == "/binding 30851821 workwechat"
    assert lookup_of(relation) == "/uc get 998 1001"


# ---- rows written before the records were typed ----------------------------------------------


def test_an_old_relations_operation_reads() -> None:
    old = {"kind": "user_customer", "selection": "998:1001,1002;999:1003"}
    deletion = deletion_from(old)
    assert isinstance(deletion, RelationDeletion) and deletion.count == 3
    assert operation_of(deletion) == {"kind": "uc", "selection": "998:1001,1002;999:1003"}


def test_an_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="kind of deletion"):
        deletion_from({"kind": "ticket", "id": 1})


def test_old_outcomes_read_with_their_records_as_keys() -> None:
    old = {
        "outcomes": [
            # Labels once spelled a source as people type it, and carried a check when deleted.
            {
                "record": "contact 30851821 workwechat",
                "deleted": True,
                "sentence": "deleted",
                "unknown": False,
                "check": "/binding 30851821 workwechat",
                "message": None,
                "params": None,
            },
            {"record": "customer 1001 of user 998", "deleted": False, "sentence": "x"},
            {"record": "something else", "deleted": False, "sentence": "x", "unknown": True},
        ]
    }
    result = result_from(old)
    assert isinstance(result, Executed)
    first, second, third = result.outcomes
    assert first.record == BindingKey(cid=30851821, source=AccountSource.WORK_WECHAT)
    assert second.record == RelationKey(user_id=998, customer_id=1001)
    assert third.record == "something else" and third.unknown


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            {"changes": ["contact 1 dingding is gone"]},
            Stale(changes=["contact 1 dingding is gone"]),
        ),
        (
            {"error": "Nothing was deleted: timeout"},
            NothingDeleted(error="Nothing was deleted: timeout"),
        ),
        ({"interrupted": {"approved_by": "U0APP"}}, Interrupted(approved_by="U0APP")),
        ({"interrupted": {"approved_by": None}}, Interrupted()),
        ({"outcomes": []}, Executed(outcomes=[])),
    ],
)
def test_every_stored_result_shape_reads(stored: dict[str, Any], expected: Result) -> None:
    assert result_from(stored) == expected


def test_a_result_of_no_known_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        result_from({"outcomes": [], "changes": []})


NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _row(**columns: Any) -> dict[str, Any]:
    """A stored request as its row holds it (JSON columns as Python values)."""
    return {
        "id": 7,
        "requester": "U0AGENT",
        "channel_id": "C0SUPPORT",
        "summary": "s",
        "status": "executed",
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=1),
        "decided_by": "U0APP",
        "decided_at": NOW,
        "reason": None,
        "result": None,
        "finished_at": NOW,
        "message_channel": None,
        "message_ts": None,
        **columns,
    }


def test_a_stored_row_decodes_once_into_a_typed_request() -> None:
    """As an older version wrote it: the relations' kind was `user_customer`."""
    relation = Relation(user_id=998, customer_id=1001, reference="ref")
    row = _row(
        kind="user_customer",
        operation={"kind": "user_customer", "selection": "998:1001"},
        snapshot=[relation.model_dump(mode="json")],
        result={
            "outcomes": [{"record": "customer 1001 of user 998", "deleted": True, "sentence": "d"}]
        },
    )
    request = ApprovalRequest.model_validate(row)
    assert request.deletion == RelationDeletion(RelationSelection.decode("998:1001"))
    assert request.deletion.kind == "uc"
    assert request.snapshot == [relation]
    assert isinstance(request.result, Executed)
    assert request.result.outcomes[0].record == relation.key
    binding = Binding(cid=1, source=AccountSource.OPEN, open_id="o")
    as_binding = {**row, "snapshot": [binding.model_dump(mode="json")], "result": None}
    assert ApprovalRequest.model_validate(as_binding).snapshot == [binding]


def test_an_old_rows_card_says_what_it_said() -> None:
    """A request filed and run by an older version: the card names its records and checks."""
    binding = Binding(cid=30851821, source=AccountSource.WORK_WECHAT, open_id="o")
    outcome = {
        "record": "contact 30851821 workwechat",
        "deleted": False,
        "sentence": "no answer",
        "unknown": True,
        "check": "/binding 30851821 workwechat",
    }
    row = _row(
        kind="binding",
        operation={"kind": "binding", "cid": 30851821, "source": "workWechat"},
        snapshot=[binding.model_dump(mode="json")],
        status="unknown",
        result={"outcomes": [outcome]},
    )
    t = messages("en")
    request = ApprovalRequest.model_validate(row)
    shown = json.dumps(approval_card(t, request))
    assert "contact 30851821 WeCom: no answer Check with `/binding 30851821 workwechat`." in shown
    assert "the WeCom binding of contact 30851821" in shown
