"""What `/uc` writes into Slack and reads back: each value decodes into what was encoded, a
value the app did not write is refused (pydantic's ValidationError, "out of date"), and a value
over Slack's limit is refused where it is encoded, in a sentence when a person's input made it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.models import Condition, Operator, RelationField, RelationKey, RelationQuery
from bot.models import RelationSelection as Selection
from bot.wire import TooLong, WireValue
from handlers.user_customer.grammar import (
    MAX_PAGE_SIZE,
    Follows,
    GetRelation,
    ListRelations,
    OpenEditModal,
    PreviewDelete,
    parse_command,
)
from handlers.user_customer.payloads import (
    TICK_ACTION,
    EditMetadata,
    KeyValue,
    LookupValue,
    MenuChoice,
    RelationsDeleteButton,
    RowBlockId,
    pageable,
    ticked_keys,
)
from handlers.words import Help

ids = st.integers(min_value=1, max_value=10**18 - 1)
keys = st.builds(RelationKey, user_id=ids, customer_id=ids)
selections = st.lists(keys, min_size=1, max_size=20).map(Selection.of)
_NUMERIC = {
    RelationField.USER_ID,
    RelationField.CUSTOMER_ID,
    RelationField.IS_AVAILABLE,
    RelationField.BOSS_SYNC,
}


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(RelationField))
    op = draw(st.sampled_from(Operator))
    if field in _NUMERIC and op is not Operator.LIKE:
        value = draw(st.from_regex(r"[0-9]{1,12}", fullmatch=True))
    else:
        value = draw(st.text(max_size=30))
    return Condition(field=field, op=op, value=value)


@st.composite
def lists(draw: st.DrawFn) -> ListRelations:
    start = draw(st.none() | st.dates().map(str))
    end = draw(st.none() | st.dates().map(str))
    if start and end and start > end:
        start, end = end, start
    query = RelationQuery(
        conditions=tuple(draw(st.lists(conditions(), max_size=3))),
        start_time=f"{start} 00:00:00" if start else None,
        end_time=f"{end} 23:59:59" if end else None,
        page=draw(ids),
        size=draw(st.integers(1, MAX_PAGE_SIZE)),
    )
    return ListRelations(query)


follows = st.builds(Follows, ids, ids, st.integers(1, MAX_PAGE_SIZE))
pages = (lists() | follows).filter(lambda page: pageable(page) is page)
lookups = pages | keys.map(GetRelation)


def round_trips(value: WireValue) -> None:
    assert type(value).decode(value.encode()) == value


@given(keys)
def test_a_tick_option_reads_back_into_its_key(key: RelationKey) -> None:
    value = KeyValue.of(key)
    round_trips(value)
    assert KeyValue.decode(value.encode()).key == key


@given(selections)
def test_a_selection_reads_back_into_the_same_relations(selection: Selection) -> None:
    round_trips(selection)


@given(selections, st.from_regex(r"[0-9a-f]{12}", fullmatch=True))
def test_a_preview_delete_button_reads_back(selection: Selection, seen: str) -> None:
    round_trips(RelationsDeleteButton(selection=selection, seen=seen))


@given(st.sampled_from(["edit", "delete"]), keys)
def test_a_row_menu_choice_reads_back_into_its_command(verb: Any, key: RelationKey) -> None:
    choice = MenuChoice.of(verb, key)
    round_trips(choice)
    expected = OpenEditModal(key) if verb == "edit" else PreviewDelete(Selection.of([key]))
    assert choice.command == expected


@given(lookups)
def test_a_lookup_button_reads_back_into_the_same_lookup(lookup: Any) -> None:
    round_trips(LookupValue(lookup=lookup))


@given(st.none() | keys, pages)
def test_a_row_block_id_reads_back_into_its_key_and_page(key: Any, page: Any) -> None:
    round_trips(RowBlockId(key=key, page=page))


@given(keys, st.dictionaries(st.sampled_from(["template", "script", "reference"]), st.text()))
def test_edit_metadata_reads_back(key: RelationKey, shown: dict[str, str]) -> None:
    metadata = EditMetadata(user_id=key.user_id, customer_id=key.customer_id, shown=shown)
    try:
        round_trips(metadata)
    except TooLong:
        assert len(metadata.write()) > 3000


def test_the_wire_strings_are_the_ones_older_messages_carry() -> None:
    key = RelationKey(user_id=998, customer_id=1001)
    page = parse_command("list ref~VIP page=2 size=10")
    assert isinstance(page, ListRelations)
    assert KeyValue.of(key).encode() == "998:1001"
    assert MenuChoice.of("edit", key).encode() == "edit 998 1001"
    assert (
        RowBlockId(key=key, page=page).encode()
        == "uc_row|998:1001|list reference~VIP page=2 size=10"
    )
    assert RowBlockId(key=None, page=page).encode().startswith("uc_row|elsewhere|list ")
    selection = Selection.of([key, RelationKey(user_id=998, customer_id=1002)])
    assert selection.encode() == "998:1001,1002"
    button = RelationsDeleteButton(selection=selection, seen="0123456789ab")
    assert button.encode() == "998:1001,1002 0123456789ab"
    metadata = EditMetadata(user_id=998, customer_id=1001, shown={"template": "abc"})
    assert json.loads(metadata.encode()) == {
        "user_id": 998,
        "customer_id": 1001,
        "shown": {"template": "abc"},
    }


@pytest.mark.parametrize(
    ("model", "raw"),
    [
        *[(KeyValue, raw) for raw in ["", "1", "1:", ":2", "a:b", "0:1", " 1:2", "١:2", "1_0:2"]],
        *[(KeyValue, raw) for raw in [None, 12, {"user_id": 1, "customer_id": 2}]],
        *[(Selection, raw) for raw in ["", ";", "1:", "a:1", "1:2,x", "1:2;0:3", "1:-2"]],
        *[(MenuChoice, raw) for raw in ["edit 1", "open 1 2", "edit 0 2", "edit 1 2 3", ""]],
        *[(LookupValue, raw) for raw in ["", "add", "edit 1 2", "delete 1 2", "frobnicate"]],
        (LookupValue, "list ref=" + "x" * 1000),
        *[
            (RowBlockId, raw)
            for raw in ["", "uc_row", "uc_row|1:2", "x|1:2|list", "uc_row|1:2|get 1 2"]
        ],
        *[(RowBlockId, raw) for raw in ["uc_row|a|list", "uc_row|1:2|list ref=" + "x" * 200]],
        *[(RelationsDeleteButton, raw) for raw in ["", "1:2", "1:2 xyz", "1:2 0123456789ab x"]],
        *[(EditMetadata, raw) for raw in ["", "{not json", "[]", "null", '{"user_id": 1}']],
        (EditMetadata, '{"user_id": 0, "customer_id": 1, "shown": {}}'),
    ],
)
def test_a_value_the_app_did_not_write_is_out_of_date(model: type[WireValue], raw: Any) -> None:
    with pytest.raises(ValidationError):
        model.decode(raw)


def test_filters_too_long_to_page_through_are_refused_as_typed() -> None:
    room = RowBlockId.room()
    longest = "reference=" + "x" * (room - 1 - len("reference="))
    assert isinstance(pageable(parse_command(f"list {longest}")), ListRelations)
    parsed = pageable(parse_command(f"list {longest}x"))
    assert isinstance(parsed, Help) and parsed.problem is not None
    assert str(parsed.problem) == (
        f"Those filters are too long to page through in Slack; keep them under {room} characters."
    )
    # Other commands are never too long.
    assert pageable(parse_command("follows 998")) == parse_command("follows 998")


def test_a_value_over_slacks_limit_is_refused_where_it_is_encoded() -> None:
    many = Selection.of([RelationKey(user_id=10**17 + n, customer_id=10**17) for n in range(60)])
    with pytest.raises(TooLong, match=r"RelationSelection is .* over Slack's 2000"):
        many.encode()
    metadata = EditMetadata(user_id=1, customer_id=2, shown={"template": "x" * 3000})
    with pytest.raises(TooLong):
        metadata.encode()


def test_ticked_keys_are_read_from_the_message_state() -> None:
    state = {
        "uc_row|998:1001|list": {
            f"{TICK_ACTION}:998:1001": {"selected_options": [{"value": "998:1001"}]},
            "uc_menu": {"selected_option": {"value": "edit 998 1001"}},
        },
        "uc_row|elsewhere|list": {
            f"{TICK_ACTION}:elsewhere:0": {"selected_options": [{"value": "999:1003"}]},
        },
        "uc_row|998:1002|list": {f"{TICK_ACTION}:998:1002": {"selected_options": []}},
    }
    assert ticked_keys(state) == {
        RelationKey(user_id=998, customer_id=1001),
        RelationKey(user_id=999, customer_id=1003),
    }
    forged = {"b": {f"{TICK_ACTION}:1:2": {"selected_options": [{"value": "1:2;3"}]}}}
    with pytest.raises(ValidationError):
        ticked_keys(forged)
