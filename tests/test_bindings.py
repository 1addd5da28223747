"""`/binding` end to end: signed slash commands in, what the person sees and bangwo8 got out."""

from __future__ import annotations

import json
import logging
import re
import time
from urllib.parse import urlencode

import httpx
import pytest

from bot.i18n import messages
from bot.sandbox.harness import AGENT, EDITOR, VIEWER, Sandbox
from handlers.bindings.grammar import read_add_form
from tests.conftest import MakeSandbox
from tests.helpers import audited, button, command, elements, modal, reply, text_of

PATH = "/api/v1/user/relationship/cid.json"


def backend_calls(sandbox: Sandbox, method: str) -> list[dict[str, object]]:
    return [r.params for r in sandbox.bangwo8.requests if r.method == method]


async def test_lookup_queries_all_four_sources_at_once_and_shows_cards(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "30851821")

    sources = sorted(str(p["account_source"]) for p in backend_calls(sandbox, "GET"))
    assert sources == ["dingding", "open", "wechat", "workWechat"]
    text = text_of(message)
    assert "`30851821`" in text and "`10014850`" in text and "`601993`" in text
    assert "DingTalk" in text and "WeChat" in text
    assert message.ephemeral and message.user == AGENT
    assert button(message, "binding_share")["value"] == "30851821"
    menu = button(message, "binding_menu")
    assert next(o["value"] for o in menu["options"]).startswith("edit 30851821 ")
    assert "ref `" in text  # the correlation id, also in the logs


async def test_a_remark_with_a_channel_mention_pings_nobody(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "30851821 wechat")
    raw = json.dumps(message.blocks)
    assert "<!channel>" not in raw
    assert "&lt;!channel&gt;" in raw


async def test_one_slow_source_does_not_hold_the_others(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(http_timeout=5.0)
    sandbox.bangwo8.faults.inject(latency=1.0, method="GET", params={"account_source": "wechat"})
    await command(sandbox, "/binding", "30851821")
    arrivals = [r.at for r in sandbox.bangwo8.requests if r.method == "GET"]
    # All four reached the backend before the slow one could have answered: concurrent.
    assert len(arrivals) == 4 and max(arrivals) - min(arrivals) < 0.5


async def test_failed_sources_are_named_with_a_retry_while_others_show(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(http_timeout=0.5)
    sandbox.bangwo8.faults.inject(hang=True, method="GET", params={"account_source": "wechat"})
    sandbox.bangwo8.faults.inject(
        status=502, body="<html>bad gateway</html>", params={"account_source": "open"}
    )
    message = await command(sandbox, "/binding", "30851821")

    text = text_of(message)
    assert "`10014850`" in text  # dingding still shown
    assert "*WeChat* could not be checked: bangwo8 did not answer in time." in text
    assert "*Open platform* could not be checked: bangwo8 answered with HTTP 502." in text
    retries = {e["value"] for e in elements(message, "binding_lookup")}
    assert retries == {"30851821 wechat", "30851821 open"}

    sandbox.bangwo8.faults.clear()
    before = len(sandbox.bangwo8.requests)
    ack = await sandbox.slack.click(message, "binding_lookup", value="30851821 wechat")
    retried = await reply(sandbox, ack)
    assert [r.params["account_source"] for r in sandbox.bangwo8.requests[before:]] == ["wechat"]
    assert "could not be checked" not in text_of(retried)


async def test_lookup_of_one_source_and_by_open_id_with_aliases(sandbox: Sandbox) -> None:
    await command(sandbox, "/binding", "30851821 WX")
    assert [p["account_source"] for p in backend_calls(sandbox, "GET")] == ["wechat"]

    message = await command(sandbox, "/binding", "openid 10014850 dingtalk")
    last = sandbox.bangwo8.requests[-1].params
    assert last["openId"] == "10014850" and last["account_source"] == "dingding"
    assert "cId" not in last
    assert "`30851821`" in text_of(message)


async def test_empty_results_say_so_and_suggest_the_next_command(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "6862715")
    assert "has no binding in any source" in text_of(message)
    assert "/binding add 6862715" in text_of(message)


async def test_share_in_channel_posts_for_everyone_without_edit_menus(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "30851821 dd")
    ack = await sandbox.slack.click(message, "binding_share", value="30851821 dingding")
    shared = await reply(sandbox, ack)
    assert not shared.ephemeral
    assert f"shared by <@{AGENT}>" in text_of(shared)
    assert not elements(shared, "binding_menu") and not elements(shared, "binding_share")
    await sandbox.slack.wait_for(lambda: message.deleted)


async def test_contact_that_does_not_exist_is_a_sentence_whatever_the_http_status(
    sandbox: Sandbox,
) -> None:
    sandbox.bangwo8.error_http_status = 403
    message = await command(sandbox, "/binding", "add 999 wechat abc")
    assert "Contact `999` does not exist in bangwo8" in text_of(message)
    sandbox.bangwo8.error_http_status = 200
    message = await command(sandbox, "/binding", "add 998 wechat abc")
    assert "Contact `998` does not exist in bangwo8" in text_of(message)


async def test_add_at_once_then_already_bound_suggests_edit(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "add 6862715 wechat 564354327 789")
    assert "is now bound to WeChat openId `564354327`" in text_of(message)
    post = [r for r in sandbox.bangwo8.requests if r.method == "POST"][-1]
    assert json.loads(post.body) == {
        "cId": 6862715,
        "openId": "564354327",
        "appId": "789",
        "account_source": "wechat",
    }
    assert post.headers["requestid"]

    again = await command(sandbox, "/binding", "add 6862715 wx 1")
    assert "already bound for WeChat" in text_of(again)
    assert "/binding edit 6862715 wechat" in text_of(again)
    posts = [r for r in sandbox.bangwo8.requests if r.method == "POST"]
    assert len({p.headers["requestid"] for p in posts}) == 2


async def test_write_timeout_says_outcome_unknown_offers_check_and_is_not_retried(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(http_timeout=0.3)
    sandbox.bangwo8.faults.inject(latency=0.6, method="POST")
    message = await command(sandbox, "/binding", "add 6862715 open oid-1")
    text = text_of(message)
    assert "not known whether the change was made" in text
    assert button(message, "binding_lookup")["value"] == "6862715 open"
    assert len([r for r in sandbox.bangwo8.requests if r.method == "POST"]) == 1


async def test_malformed_answer_is_a_plain_sentence(sandbox: Sandbox) -> None:
    sandbox.bangwo8.faults.inject(body="{not json", method="GET")
    message = await command(sandbox, "/binding", "30851821 dd")
    assert "bangwo8 sent an answer that is not JSON." in text_of(message)
    assert "Traceback" not in text_of(message)


async def test_add_modal_validates_fields_then_adds(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "add", user_id=AGENT)
    view = await modal(sandbox)
    assert view.callback_id == "binding_add"

    ack = await sandbox.slack.submit_view(
        view, {"cid": "12ab", "source": "wechat", "open_id": "  "}
    )
    assert ack.body == {
        "response_action": "errors",
        "errors": {
            "cid": "The contact id is a positive whole number, like 30851821.",
            "open_id": "Enter the openId of the third-party account.",
        },
    }
    assert view.errors and set(view.errors) == {"cid", "open_id"}
    assert not [r for r in sandbox.bangwo8.requests if r.method == "POST"]

    await sandbox.slack.submit_view(
        view, {"cid": "6862715", "source": "workWechat", "open_id": "wc-1", "app_id": ""}
    )
    done = await modal(sandbox)
    assert "is now bound to WeCom openId `wc-1`" in text_of(done)
    assert sandbox.bangwo8.bindings[(6862715, "workWechat")]["openId"] == "wc-1"


async def test_edit_opens_before_fetching_then_prefills_and_saves(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "edit 40713895 wx")
    view = await modal(sandbox)
    opened = next(c for c in sandbox.slack.calls if c.method == "views.open")
    fetched = next(r for r in sandbox.bangwo8.requests if r.method == "GET")
    assert opened.at <= fetched.at
    assert ":hourglass_flowing_sand:" in text_of(opened.body["view"])  # type: ignore[arg-type]

    open_id_input = next(b for b in view.view["blocks"] if b.get("block_id") == "open_id")
    assert open_id_input["element"]["initial_value"] == "12345"
    await sandbox.slack.submit_view(view, {"open_id": "67890"})
    done = await modal(sandbox)
    assert "binding of contact `40713895`: openId is now `67890`." in text_of(done)
    put = next(r for r in sandbox.bangwo8.requests if r.method == "PUT")
    assert json.loads(put.body) == {"cId": 40713895, "account_source": "wechat", "openId": "67890"}


async def test_edit_of_a_missing_binding_says_so_in_the_modal(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/binding", "edit 6862715 open")
    view = await modal(sandbox)
    assert "has no Open platform binding" in text_of(view)


async def test_edit_from_a_cards_overflow_menu_opens_the_modal(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "40713895 wechat")
    await sandbox.slack.click(message, "binding_menu", selected_option_value="edit 40713895 wechat")
    view = await modal(sandbox)
    assert view.callback_id == "binding_edit"


async def test_delete_preview_shows_the_binding_fetched_fresh_with_a_confirm(
    sandbox: Sandbox,
) -> None:
    message = await command(sandbox, "/binding", "delete 30851821 dd")
    assert backend_calls(sandbox, "GET")[-1]["account_source"] == "dingding"
    text = text_of(message)
    assert "would be deleted" in text and "`10014850`" in text
    delete = button(message, "binding_delete")
    assert delete["style"] == "danger"
    assert delete["confirm"]["title"]["text"] == "Request this delete?"
    assert "contact `30851821`" in delete["confirm"]["text"]["text"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("help", None),
        ("", None),
        ("frobnicate", "`frobnicate` is neither a contact id nor a known word."),
        ("30851821 myspace", "`myspace` is not a source"),
        ("edit 30851821", "`edit` takes a contact id and a source"),
        ("0", "The contact id must be a positive whole number, not `0`."),
        ("add 1 wechat", "`add` takes a contact id, a source, an openId and an optional appId"),
        ("²", "The contact id must be a positive whole number, not `²`."),
        ("openid " + "x" * 201, "An openId is at most 200 characters long."),
    ],
)
async def test_help_and_malformed_input_show_the_grammar(
    sandbox: Sandbox, text: str, problem: str | None
) -> None:
    message = await command(sandbox, "/binding", text)
    shown = text_of(message)
    assert "`/binding openid &lt;openId&gt; [&lt;source&gt;]`" in shown
    assert "Examples:" in shown
    if problem:
        assert "I couldn't read that" in shown and problem in shown
    assert not sandbox.bangwo8.requests


async def test_roles_refuse_with_the_role_needed(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(viewers=frozenset({VIEWER}))
    refused = await command(
        sandbox, "/binding", "30851821", user=EDITOR.replace("EDITOR", "NOBODY")
    )
    assert "needs the viewer role" in text_of(refused) and "VIEWERS" in text_of(refused)
    looked = await command(sandbox, "/binding", "30851821 dd", user=VIEWER)
    assert "`10014850`" in text_of(looked)
    denied = await command(sandbox, "/binding", "add 6862715 wechat x", user=VIEWER)
    assert "needs the editor role" in text_of(denied) and "EDITORS" in text_of(denied)
    assert not [r for r in sandbox.bangwo8.requests if r.method == "POST"]
    entries = await audited(sandbox, 2, feature="binding")
    assert {e.outcome for e in entries} == {"refused"}


async def test_nobody_may_change_anything_when_editors_is_empty(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(editors=frozenset(), approvers=frozenset())
    denied = await command(sandbox, "/binding", "delete 30851821 dd")
    assert "needs the editor role" in text_of(denied)


async def test_slow_backend_gets_an_ack_at_once_and_the_answer_later(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(http_timeout=10.0)
    sandbox.bangwo8.faults.inject(latency=5.0, method="GET")
    ack = await sandbox.slack.slash_command("/binding", "30851821 dd")
    assert ack.status == 200 and ack.elapsed < 1.0
    message = await reply(sandbox, ack)
    assert ":hourglass_flowing_sand:" in text_of(message)
    await sandbox.slack.wait_for(lambda: "`10014850`" in text_of(message), timeout=8.0)


async def test_bad_signature_and_stale_timestamp_get_401(sandbox: Sandbox) -> None:
    body = urlencode({"command": "/binding", "text": "30851821", "user_id": AGENT}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = await sandbox.slack.send_raw(
        body, {**headers, **sandbox.slack.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    )
    assert forged.status_code == 401
    stale = await sandbox.slack.send_raw(
        body, {**headers, **sandbox.slack.sign(body, timestamp=int(time.time()) - 600)}
    )
    assert stale.status_code == 401
    assert not sandbox.bangwo8.requests


async def test_healthz_reports_the_store(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sandbox.app_base_url}/healthz")
    assert answer.status_code == 200 and answer.json()["store"] == "ok"


def test_add_form_refuses_an_unknown_source() -> None:
    # Slack's select cannot send an unknown value, but a stale or forged payload can.
    binding, errors = read_add_form(
        messages("en"), {"cid": "1", "source": "myspace", "open_id": "x"}
    )
    assert binding is None
    assert errors == {"source": "Choose DingTalk, WeChat, WeCom or Open platform."}


async def test_every_reply_carries_a_reference_that_is_in_the_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    message = await command(sandbox, "/binding", "30851821 dd")
    ref = re.search(r"ref `([0-9a-f]{8})`", text_of(message))
    assert ref is not None
    logged = [
        r
        for r in caplog.records
        if getattr(r, "ref", None) == ref.group(1) and r.name.startswith(("bot", "handlers"))
    ]
    # One line at INFO for a lookup that went well; what it received and its backend calls
    # at DEBUG.
    assert [r.getMessage() for r in logged] == ["lookup"]
    caplog.set_level(logging.DEBUG)
    message = await command(sandbox, "/binding", "30851821 dd")
    assert {"received", "backend call", "lookup"} <= {r.getMessage() for r in caplog.records}


async def test_a_bug_is_a_plain_sentence_with_the_reference_not_a_trace(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(sandbox.deps.bindings, "lookup_sources", broken)
    message = await command(sandbox, "/binding", "30851821")
    text = text_of(message)
    assert "Something went wrong on our side" in text and "ref `" in text
    assert "boom" not in text and "Traceback" not in text


async def test_a_contact_that_does_not_exist_is_one_sentence_without_retries(
    sandbox: Sandbox,
) -> None:
    message = await command(sandbox, "/binding", "99999999")
    assert "Contact `99999999` does not exist in bangwo8" in text_of(message)
    assert not elements(message, "binding_lookup")


async def test_cancel_on_a_delete_preview_removes_it_and_files_nothing(sandbox: Sandbox) -> None:
    preview = await command(sandbox, "/binding", "delete 30851821 dd")
    await sandbox.slack.click(preview, "binding_dismiss", value="30851821 dingding")
    await sandbox.slack.wait_for(lambda: preview.deleted)
    assert await sandbox.deps.store.pending() == []
