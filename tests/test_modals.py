"""Modal submits: the outcome reaches the person, in the order Slack applies acks and calls."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.sandbox.harness import AGENT, Sandbox
from bot.sandbox.slack import View
from tests.conftest import MakeSandbox
from tests.helpers import audited, modal, text_of


def typed(view: View, block_id: str) -> str | None:
    value: str | None = view.state[block_id]["value"].get("value")
    return value


def posts(sandbox: Sandbox, method: str) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in sandbox.bangwo8.requests if r.method == method]


async def test_a_wrong_secret_is_said_on_the_secret_field_and_nothing_typed_is_lost(
    sandbox: Sandbox,
) -> None:
    await sandbox.slack.slash_command("/uc", "add")
    form = await modal(sandbox)
    ack = await sandbox.slack.submit_view(
        form, {"user_id": "998", "customer_id": "1006", "secret": "wrong", "reference": "VIP"}
    )
    assert ack.body == {
        "response_action": "errors",
        "errors": {"secret": "UserCustomer refused this authorization code: 授权码错误"},
    }
    # Whatever the app calls afterwards, the form stays, with the error on its field.
    await sandbox.slack.wait_for(lambda: len(sandbox.user_customer.requests) >= 1)
    now = sandbox.slack.current_view(AGENT)
    assert now is form and form.errors == ack.body["errors"]
    assert (typed(form, "customer_id"), typed(form, "secret"), typed(form, "reference")) == (
        "1006",
        "wrong",
        "VIP",
    )


async def test_a_slow_refusal_is_not_overtaken_by_the_saving_view(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox()
    sandbox.deps.modal_budget = 0.2
    sandbox.slack.ack_transit = 0.6  # the ack reaches Slack well after the app's next call
    sandbox.user_customer.faults.inject(latency=0.3, path="/add")
    await sandbox.slack.slash_command("/uc", "add")
    form = await modal(sandbox)
    ack = await sandbox.slack.submit_view(
        form, {"user_id": "998", "customer_id": "1006", "secret": "wrong", "reference": "VIP"}
    )
    assert isinstance(ack.body, dict) and ack.body["response_action"] == "update"
    assert "Saving…" in json.dumps(ack.body["view"], ensure_ascii=False)
    again = await sandbox.slack.wait_for(
        lambda: (v := sandbox.slack.current_view(AGENT)) and "授权码错误" in text_of(v) and v
    )
    assert again.callback_id == "uc_add"
    assert (typed(again, "customer_id"), typed(again, "secret"), typed(again, "reference")) == (
        "1006",
        "wrong",
        "VIP",
    )


async def test_a_slow_add_ends_on_its_result_however_late_the_ack_lands(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox()
    sandbox.deps.modal_budget = 0.2
    sandbox.slack.ack_transit = 0.6
    sandbox.bangwo8.faults.inject(latency=0.3, method="POST")
    await sandbox.slack.slash_command("/binding", "add")
    form = await modal(sandbox)
    await sandbox.slack.submit_view(
        form, {"cid": "6862715", "source": "wechat", "open_id": "oid-9", "app_id": ""}
    )
    done = await sandbox.slack.wait_for(
        lambda: (v := sandbox.slack.current_view(AGENT)) and "now bound" in text_of(v) and v
    )
    assert done.callback_id == ""  # a result, not the form


async def test_a_missing_contact_is_said_on_the_contact_field_and_the_form_stays(
    sandbox: Sandbox,
) -> None:
    await sandbox.slack.slash_command("/binding", "add")
    form = await modal(sandbox)
    ack = await sandbox.slack.submit_view(
        form, {"cid": "999999", "source": "wechat", "open_id": "oid-1", "app_id": "app-1"}
    )
    assert ack.body == {
        "response_action": "errors",
        "errors": {"cid": "Contact 999999 does not exist in bangwo8. Check the contact id."},
    }
    assert sandbox.slack.current_view(AGENT) is form
    assert (typed(form, "cid"), typed(form, "open_id"), typed(form, "app_id")) == (
        "999999",
        "oid-1",
        "app-1",
    )


async def test_already_bound_is_said_on_the_source_field(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "add")
    form = await modal(sandbox)
    ack = await sandbox.slack.submit_view(
        form, {"cid": "30851821", "source": "wechat", "open_id": "oid-1"}
    )
    assert ack.body == {
        "response_action": "errors",
        "errors": {
            "source": "Contact 30851821 is already bound for WeChat: "
            "change it with /binding edit 30851821 wechat."
        },
    }


async def test_a_fast_add_answers_in_the_ack(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "add")
    form = await modal(sandbox)
    ack = await sandbox.slack.submit_view(
        form, {"cid": "6862715", "source": "wechat", "open_id": "oid-9", "app_id": ""}
    )
    assert isinstance(ack.body, dict) and ack.body["response_action"] == "update"
    assert "is now bound to WeChat openId" in json.dumps(ack.body["view"])
    assert not [c for c in sandbox.slack.calls if c.method == "views.update"]


async def test_an_edit_of_the_app_id_only_says_the_app_id_changed(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "edit 40713895 wechat")
    form = await modal(sandbox)
    await sandbox.slack.submit_view(form, {"app_id": "wx-new"})
    done = await modal(sandbox)
    text = text_of(done)
    assert "binding of contact `40713895`: appId is now `wx-new`." in text
    assert "openId" not in text
    assert posts(sandbox, "PUT") == [
        {"cId": 40713895, "account_source": "wechat", "appId": "wx-new"}
    ]


async def test_an_edit_names_every_field_it_changed(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "edit 40713895 wechat")
    form = await modal(sandbox)
    await sandbox.slack.submit_view(form, {"open_id": "67890", "app_id": ""})
    text = text_of(await modal(sandbox))
    assert "openId is now `67890`, appId cleared." in text


async def test_a_refused_edit_keeps_what_was_typed(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/uc", "edit 998 1001")
    form = await modal(sandbox)
    del sandbox.user_customer.relations[(998, 1001)]
    ack = await sandbox.slack.submit_view(form, {"reference": "VIP-9"})
    assert isinstance(ack.body, dict) and ack.body["response_action"] == "update"
    again = sandbox.slack.current_view(AGENT)
    assert again is not None and again.callback_id == "uc_edit"
    assert "记录不存在" in text_of(again)
    assert typed(again, "reference") == "VIP-9"


async def test_an_editor_removed_while_the_form_is_open_is_refused_in_it(
    sandbox: Sandbox,
) -> None:
    await sandbox.slack.slash_command("/binding", "add")
    form = await modal(sandbox)
    roles = sandbox.deps.roles
    sandbox.deps.roles = replace(roles, editors=roles.editors - {AGENT})
    ack = await sandbox.slack.submit_view(
        form, {"cid": "30851821", "source": "open", "open_id": "o-new"}
    )
    assert isinstance(ack.body, dict) and ack.body["response_action"] == "update"
    shown = json.dumps(ack.body["view"], ensure_ascii=False)
    assert "Add binding" in shown and "You can't add bindings: that needs the editor role" in shown
    entries = await audited(sandbox, 1, feature="binding")
    assert [(e.action, e.outcome, e.detail) for e in entries] == [
        ("add", "refused", "needs editor")
    ]
    assert posts(sandbox, "POST") == []
