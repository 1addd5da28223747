"""What `/binding` and the approval cards write into Slack and read back: each value decodes
into what was encoded, a value the app did not write is refused (pydantic's ValidationError,
"out of date"), a value over Slack's limit is refused where it is encoded, and the strings
messages already in Slack carry keep reading."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.blocks.common import TEXT_INPUT_LIMIT, plain
from bot.models import AccountSource, Binding, BindingKey, BindingQuery
from bot.payloads import RequestRef
from bot.sandbox.harness import AGENT, EDITOR, Sandbox
from bot.wire import TooLong, WireValue
from handlers.bindings.grammar import (
    MAX_OPEN_ID,
    Lookup,
    OpenEditModal,
    PreviewDelete,
    parse_binding_command,
)
from handlers.bindings.payloads import (
    LOOKUP_ACTION,
    MENU_ACTION,
    BindingDeleteButton,
    EditForm,
    KeyValue,
    LookupValue,
    MenuChoice,
)
from tests.helpers import audited, button, command, text_of
from tests.test_approvals import file_delete

ids = st.integers(min_value=1, max_value=10**18 - 1)
sources = st.sampled_from(AccountSource)
keys = st.builds(BindingKey, cid=ids, source=sources)
fingerprints = st.from_regex(r"[0-9a-f]{12}", fullmatch=True)
# What the grammar looks up: one source, or all of them.
looked_in = sources.map(lambda source: (source,)) | st.just(tuple(AccountSource))
lookups = st.builds(
    BindingQuery,
    cid=ids,
    sources=looked_in,
) | st.builds(BindingQuery, open_id=st.text(max_size=MAX_OPEN_ID), sources=looked_in)


def round_trips(value: WireValue) -> None:
    assert type(value).decode(value.encode()) == value


@given(lookups)
def test_a_lookup_button_reads_back_into_the_same_lookup(query: BindingQuery) -> None:
    value = LookupValue(lookup=Lookup(query))
    round_trips(value)
    # It is what a person could type, too.
    assert parse_binding_command(value.encode()) == Lookup(query)


@given(keys)
def test_look_it_up_names_the_lookup_of_one_binding(key: BindingKey) -> None:
    value = LookupValue.of(key)
    round_trips(value)
    assert value.lookup == Lookup(BindingQuery(cid=key.cid, sources=(key.source,)))


@given(st.sampled_from(["edit", "delete"]), keys)
def test_a_menu_choice_reads_back_into_its_command(verb: Any, key: BindingKey) -> None:
    choice = MenuChoice.of(verb, key)
    round_trips(choice)
    assert choice.command == (OpenEditModal(key) if verb == "edit" else PreviewDelete(key))
    # The same command as typed.
    assert parse_binding_command(choice.encode()) == choice.command


@given(keys, fingerprints)
def test_key_and_delete_button_read_back(key: BindingKey, seen: str) -> None:
    round_trips(KeyValue.of(key))
    assert KeyValue.decode(KeyValue.of(key).encode()).key == key
    button = BindingDeleteButton.showing(key, seen)
    round_trips(button)
    assert BindingDeleteButton.decode(button.encode()).key == key


@given(keys, st.text(min_size=1, max_size=5000), st.text(max_size=TEXT_INPUT_LIMIT - 1))
def test_the_edit_form_reads_back_and_notices_a_change(
    key: BindingKey, open_id: str, app_id: str
) -> None:
    binding = Binding(cid=key.cid, source=key.source, openId=open_id, appId=app_id)
    form = EditForm.of(binding)
    round_trips(form)
    assert form.key == key
    # What the input showed (cut to what it holds), as Slack sends it back (stripped).
    assert not form.changed("open_id", plain(open_id, TEXT_INPUT_LIMIT).strip())
    assert form.changed("app_id", app_id + "x")


@given(ids)
def test_a_request_reference_reads_back(request_id: int) -> None:
    round_trips(RequestRef(request_id=request_id))


def test_the_wire_strings_are_the_ones_older_messages_carry() -> None:
    wecom = BindingKey(cid=51234567, source=AccountSource.WORK_WECHAT)
    wechat = BindingKey(cid=30851821, source=AccountSource.WECHAT)
    old = {
        MenuChoice: ["edit 30851821 wechat", "delete 51234567 workwechat"],
        LookupValue: ["30851821", "30851821 wechat", "openid 10014850", "openid 10014850 open"],
        KeyValue: ["30851821 wechat", "51234567 workwechat"],
        BindingDeleteButton: ["30851821 dingding 0123456789ab", "51234567 workwechat 0123456789ab"],
        RequestRef: ["1", "42"],
    }
    for model, strings in old.items():
        for raw in strings:
            assert model.decode(raw).encode() == raw
    assert MenuChoice.of("edit", wecom).encode() == "edit 51234567 workwechat"
    assert LookupValue.of(wechat).encode() == "30851821 wechat"
    assert KeyValue.of(wecom).encode() == "51234567 workwechat"
    assert BindingDeleteButton.showing(wechat, "0123456789ab").encode() == (
        "30851821 wechat 0123456789ab"
    )
    assert RequestRef(request_id=42).encode() == "42"
    # The edit form's private_metadata, as forms opened before keep it.
    metadata = (
        '{"cid":51234567,"source":"workWechat","open_id":"0123456789ab","app_id":"fedcba987654"}'
    )
    form = EditForm.decode(metadata)
    assert form.key == wecom and form.encode() == metadata
    binding = Binding(cid=30851821, source=AccountSource.WECHAT, openId="o", appId="")
    assert list(json.loads(EditForm.of(binding).encode())) == ["cid", "source", "open_id", "app_id"]


def test_an_openid_with_spaces_comes_back_as_typed() -> None:
    # Written before as `openid o x`, which read back as the openId `o` in the source `x`.
    typed = parse_binding_command('openid "o x"')
    assert isinstance(typed, Lookup)
    assert LookupValue(lookup=typed).encode() == 'openid "o x"'


@pytest.mark.parametrize(
    ("model", "raw"),
    [
        *[(LookupValue, raw) for raw in ["", "help", "add", "audit", "frobnicate", "1 twitter"]],
        *[(LookupValue, raw) for raw in ["edit 1 wechat", "delete 1 wechat", "add 1 wx o"]],
        (LookupValue, "openid " + "x" * (MAX_OPEN_ID + 1)),
        *[(MenuChoice, raw) for raw in ["", "edit 1", "open 1 wechat", "edit 0 wechat"]],
        *[(MenuChoice, raw) for raw in ["edit 1 wx", "edit 1 workWechat", "Edit 1 wechat"]],
        *[(MenuChoice, raw) for raw in ["edit 1 wechat x", "edit  1 wechat", "edit ١ wechat"]],
        *[(KeyValue, raw) for raw in ["", "1", "1 wechat x", "a wechat", "-1 wechat", "1 WeChat"]],
        *[(BindingDeleteButton, raw) for raw in ["", "1 wechat", "1 wechat xyz"]],
        *[(BindingDeleteButton, raw) for raw in ["1 wechat 0123456789AB", "1 wx 0123456789ab"]],
        (BindingDeleteButton, "1 wechat 0123456789ab x"),
        *[(EditForm, raw) for raw in ["", "{not json", "[]", "null", '{"cid": 1}']],
        (EditForm, '{"cid": "abc", "source": "wechat"}'),
        (EditForm, '{"cid":0,"source":"wechat","open_id":"0123456789ab","app_id":"0123456789ab"}'),
        (EditForm, '{"cid":1,"source":"wx","open_id":"0123456789ab","app_id":"0123456789ab"}'),
        (EditForm, '{"cid":1,"source":"wechat","open_id":"the openId","app_id":"0123456789ab"}'),
        *[(RequestRef, raw) for raw in ["abc", "1.0", "", " 1", "1 2", "-1", "0", "١", "1_0"]],
        (RequestRef, "99999999999999999999"),
        *[(model, raw) for model in (MenuChoice, RequestRef, EditForm) for raw in [None, 12]],
        (RequestRef, {"request_id": 1}),
        (KeyValue, {"cid": 1, "source": "wechat"}),
    ],
)
def test_a_value_the_app_did_not_write_is_out_of_date(model: type[WireValue], raw: Any) -> None:
    with pytest.raises(ValidationError):
        model.decode(raw)


def test_a_value_over_slacks_limit_is_refused_where_it_is_encoded() -> None:
    # The grammar keeps openIds short enough; a lookup made any other way is still checked.
    longest = LookupValue(lookup=Lookup(BindingQuery(open_id="x" * (2000 - len("openid ")))))
    assert len(longest.encode()) == 2000
    too_long = LookupValue(lookup=Lookup(BindingQuery(open_id="x" * (2001 - len("openid ")))))
    with pytest.raises(TooLong, match=r"LookupValue is 2001 characters, over Slack's 2000"):
        too_long.encode()


# ---- end to end: a value the app did not write does nothing but say so ---------------------


async def click_value(sandbox: Sandbox, user: str, action_id: str, value: str) -> str:
    """A signed click on a button carrying `value`; what the clicker is told."""
    payload = sandbox.slack.interaction_base("block_actions", user)
    payload["actions"] = [
        {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
    ]
    answer = await sandbox.slack.send_payload(payload)
    assert answer.status_code == 200
    url_id = payload["response_url"].rsplit("/", 1)[-1]
    told = await sandbox.slack.wait_for(
        lambda: next((m for m in sandbox.slack.messages if m.response_url_id == url_id), None)
    )
    return text_of(told)


async def test_a_binding_button_the_app_did_not_write_is_out_of_date(sandbox: Sandbox) -> None:
    # A lookup button carrying a delete, a menu value with an alias, an unknown verb.
    for action_id, value in [
        (LOOKUP_ACTION, "delete 30851821 dingding"),
        (MENU_ACTION, "delete 30851821 dd"),
        (MENU_ACTION, "frobnicate 30851821 dingding"),
        (LOOKUP_ACTION, "30851821 twitter"),
    ]:
        assert "out of date" in await click_value(sandbox, EDITOR, action_id, value)
    assert not sandbox.bangwo8.requests
    assert not await sandbox.deps.store.recent_audit(10)


async def test_an_old_menu_value_still_opens_its_preview(sandbox: Sandbox) -> None:
    told = await click_value(sandbox, EDITOR, MENU_ACTION, "delete 30851821 dingding")
    assert "would be deleted" in told


async def test_a_wecom_binding_s_delete_is_filed(sandbox: Sandbox) -> None:
    """Its button carries the source's word (`workwechat`), which bangwo8 spells otherwise."""
    card = await file_delete(sandbox, "/binding", "51234567 wecom", "binding_delete")
    assert "51234567" in text_of(card)
    (pending,) = await sandbox.deps.store.pending()
    assert pending.requester == AGENT
    assert "request delete" in {entry.action for entry in await audited(sandbox, 1)}


async def test_the_preview_buttons_carry_typed_values(sandbox: Sandbox) -> None:
    preview = await command(sandbox, "/binding", "delete 51234567 wecom", user=EDITOR)
    delete = BindingDeleteButton.decode(button(preview, "binding_delete")["value"])
    assert delete.key == BindingKey(cid=51234567, source=AccountSource.WORK_WECHAT)
    assert KeyValue.decode(button(preview, "binding_dismiss")["value"]).key == delete.key
