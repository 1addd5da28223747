"""`/uc` end to end: signed slash commands in, what the person sees and UserCustomer got out."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bot.clients.user_customer import Credentials, UserCustomerClient
from bot.models import Relation, RelationKey, fingerprint
from bot.sandbox.harness import AGENT, APPROVER, EDITOR, VIEWER, Sandbox
from bot.sandbox.slack import Message
from bot.sandbox.user_customer import UserCustomerEmulator
from tests.conftest import MakeSandbox
from tests.helpers import audited, button, command, elements, modal, reply, settled, text_of

Json = dict[str, Any]


def sent(sandbox: Sandbox, endpoint: str) -> list[Json]:
    """The parameters of every request UserCustomer got at `endpoint`, oldest first."""
    return [r.params for r in sandbox.user_customer.requests if r.path.endswith(f"/{endpoint}")]


def row_keys(message: Message) -> list[str]:
    """The relations a list shows, as `user:customer`, in order."""
    return [
        option["value"]
        for block in message.blocks
        for element in block.get("elements") or []
        if element.get("type") == "checkboxes"
        for option in element["options"]
    ]


def ticked(message: Message) -> list[str]:
    return sorted(
        option["value"]
        for block in message.blocks
        for element in block.get("elements") or []
        if element.get("type") == "checkboxes"
        for option in element.get("initial_options") or []
    )


# ---- list: grammar → condition, dates → time range ------------------------------------------


async def test_filters_become_condition_triples(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list user=999 ref~VIP")

    params = sandbox.user_customer.requests[-1].params
    assert params["condition"] == [["user_id", "=", "999"], ["reference", "like", "VIP"]]
    assert (params["page_index"], params["page_size"]) == (1, 10)
    assert "start_time" not in params and "end_time" not in params
    assert row_keys(message) == ["999:1003", "999:1001"]
    assert "`user_id` = `999` and `reference` like `VIP`" in text_of(message)

    await command(sandbox, "/uc", "list customer>=1002 boss_sync<=0 is_available!=0 template<u")
    assert sandbox.user_customer.requests[-1].params["condition"] == [
        ["customer_id", ">=", "1002"],
        ["boss_sync", "<=", "0"],
        ["is_available", "!=", "0"],
        ["template", "<", "u"],
    ]


BAD_INPUT = [
    ("list colour=red", "`colour` is not a field"),
    ("list user<>998", "`user_id` compares with a whole number, not `&gt;998`"),
    ('list ref="VIP', "A quote is not closed"),
    ("list user=abc", "`user_id` compares with a whole number"),
    ("list 998", "`998` is not a filter"),
    ("list from=2018-13-01", "`from=2018-13-01` is not a date"),
    ("list from=2019-02-01 to=2019-01-31", "`from=2019-02-01` is after `to=2019-01-31`"),
    ("list size=0", "`size=` must be a positive whole number"),
    ("follows 998 from=2019-01-01", "`follows` takes only `page=` and `size=`"),
    ("get 998", "`get` takes a user id and a customer id"),
    ("frobnicate", "`frobnicate` is not something `/uc` does"),
]


async def test_bad_input_is_refused_with_the_grammar_and_never_sent(sandbox: Sandbox) -> None:
    for text, problem in BAD_INPUT:
        ack = await sandbox.slack.slash_command("/uc", text)

        # Answered after the ack, in the reader's language (issue 14).
        shown = text_of(await reply(sandbox, ack))
        assert problem in shown, text
        assert "`/uc list [&lt;filter&gt;...]" in shown  # the grammar comes with the problem
    assert sandbox.user_customer.requests == []


async def test_filters_too_long_to_page_through_are_refused_before_any_lookup(
    sandbox: Sandbox,
) -> None:
    ack = await sandbox.slack.slash_command("/uc", "list ref=" + "x" * 200)

    assert "too long to page through in Slack" in text_of(await reply(sandbox, ack))
    assert sandbox.user_customer.requests == []


async def test_dates_become_the_creation_time_range(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list from=2019-01-01 to=2019-12-31")

    params = sandbox.user_customer.requests[-1].params
    assert params["start_time"] == "2019-01-01 00:00:00"
    assert params["end_time"] == "2019-12-31 23:59:59"
    assert "condition" not in params
    assert row_keys(message) == ["999:1003", "999:1001"]
    assert "created 2019-01-01 → 2019-12-31" in text_of(message)


async def test_no_match_says_so_and_suggests_the_next_command(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list ref~nobody")

    assert "No relation matches" in text_of(message)
    assert "`/uc list`" in text_of(message)
    assert row_keys(message) == []


# ---- get and follows ------------------------------------------------------------------------


async def test_get_shows_one_relation_as_a_card_with_its_menu(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "get 1000 1004")

    text = text_of(message)
    assert "User `1000` follows customer `1004`" in text
    assert "*Template*\n&lt;b&gt;hi&lt;/b&gt;" in text
    raw = json.dumps(message.blocks)
    assert "<!channel>" not in raw and "&lt;!channel&gt;" in raw
    menu = button(message, "uc_menu")
    assert [o["value"] for o in menu["options"]] == ["edit 1000 1004", "delete 1000 1004"]
    assert button(message, "uc_share")["value"] == "get 1000 1004"
    assert message.ephemeral and message.user == AGENT

    missing = await command(sandbox, "/uc", "get 998 1009")
    assert "User `998` does not follow customer `1009`" in text_of(missing)
    assert "`/uc follows 998`" in text_of(missing)


async def test_follows_pages_through_a_users_customers(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "follows 999 size=1")

    assert sent(sandbox, "get_customer_list") == [
        {"user_id": "999", "page_index": 1, "page_size": 1}
    ]
    assert "Customers followed by user `999`" in text_of(message)
    assert "2 relations · page 1 of 2" in text_of(message)
    assert row_keys(message) == ["999:1003"]
    assert button(message, "uc_next")["value"] == "follows 999 page=2 size=1"
    assert not elements(message, "uc_previous")

    nobody = await command(sandbox, "/uc", "follows 4242")
    assert "User `4242` follows no customer" in text_of(nobody)


# ---- pages, ticks, share --------------------------------------------------------------------


async def test_next_and_previous_replace_the_page_in_place(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(extra_relations=45)
    message = await command(sandbox, "/uc", "list size=50")

    assert sent(sandbox, "get_list")[-1]["page_size"] == 20
    assert "51 relations · page 1 of 3" in text_of(message)
    assert "20 per page, the most one message holds (you asked for 50)" in text_of(message)
    assert len(message.blocks) <= 50
    first_page = row_keys(message)
    assert len(first_page) == 20
    posted = len(sandbox.slack.messages)

    await sandbox.slack.click(message, "uc_next", value="list page=2 size=20")
    await settled(sandbox, message, lambda m: "page 2 of 3" in text_of(m))
    second_page = row_keys(message)
    assert len(second_page) == 20 and not set(second_page) & set(first_page)
    assert sent(sandbox, "get_list")[-1]["page_index"] == 2

    await sandbox.slack.click(message, "uc_next", value="list page=3 size=20")
    await settled(sandbox, message, lambda m: "page 3 of 3" in text_of(m))
    assert len(row_keys(message)) == 11
    assert not elements(message, "uc_next")

    await sandbox.slack.click(message, "uc_previous", value="list page=2 size=20")
    await settled(sandbox, message, lambda m: "page 2 of 3" in text_of(m))
    assert row_keys(message) == second_page
    assert len(sandbox.slack.messages) == posted  # every page replaced the same message


async def test_ticks_redraw_the_page_and_delete_selected_previews_them(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list")
    assert row_keys(message)[:4] == ["1000:1004", "1000:1002", "999:1003", "999:1001"]
    assert not elements(message, "uc_delete_selected")
    fetched = len(sent(sandbox, "get_list"))

    await sandbox.slack.tick(message, "uc_tick:999:1003", ["999:1003"])
    await settled(sandbox, message, lambda m: elements(m, "uc_delete_selected"))
    assert len(sent(sandbox, "get_list")) == fetched + 1  # the page was fetched afresh
    await sandbox.slack.tick(message, "uc_tick:1000:1002", ["1000:1002"])
    await settled(sandbox, message, lambda m: "Delete selected (2)" in text_of(m))

    assert ticked(message) == ["1000:1002", "999:1003"]
    delete_selected = button(message, "uc_delete_selected")
    assert delete_selected["value"] == "999:1003;1000:1002"
    assert "confirm" not in delete_selected  # the preview's Delete is the one confirm

    ack = await sandbox.slack.click(message, "uc_delete_selected")
    preview = await reply(sandbox, ack)
    text = text_of(preview)
    assert "These 2 relations of 2 users would be deleted" in text
    assert "User `999` follows customer `1003`" in text
    assert "User `1000` follows customer `1002`" in text
    records = [sandbox.user_customer.relations[key] for key in ((999, 1003), (1000, 1002))]
    expected = [Relation.model_validate(r).model_dump(mode="json") for r in records]
    delete = button(preview, "uc_delete")
    assert delete["value"] == f"999:1003;1000:1002 {fingerprint(expected)}"
    assert delete["style"] == "danger"
    assert "2 relations" in delete["confirm"]["text"]["text"]
    assert preview is not message and "page 1 of 1" in text_of(message)


async def test_share_posts_the_page_in_the_channel(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list user=998")

    ack = await sandbox.slack.click(message, "uc_share")
    shared = await reply(sandbox, ack)
    assert not shared.ephemeral
    assert f"shared by <@{AGENT}>" in text_of(shared)
    assert "user `998` → customer `1001`" in text_of(shared)
    assert not elements(shared, "uc_menu") and not elements(shared, "uc_next")
    await sandbox.slack.wait_for(lambda: message.deleted)


# ---- delete preview -------------------------------------------------------------------------


async def test_delete_preview_names_what_does_not_exist(sandbox: Sandbox) -> None:
    preview = await command(sandbox, "/uc", "delete 998 1001,1009")

    text = text_of(preview)
    assert "This relation of user 998 would be deleted" in text
    assert "Customer `1009` of user `998` does not exist, it will be skipped." in text
    row = Relation.model_validate(sandbox.user_customer.relations[(998, 1001)])
    delete = button(preview, "uc_delete")
    assert delete["value"] == f"998:1001 {fingerprint([row.model_dump(mode='json')])}"
    assert "1 relation of user 998" in delete["confirm"]["text"]["text"]
    asked = sorted(p["condition"][1][2] for p in sent(sandbox, "get_list"))
    assert asked == ["1001", "1009"]  # both looked up afresh
    assert (998, 1001) in sandbox.user_customer.relations  # a preview deletes nothing

    ack = await sandbox.slack.click(preview, "uc_dismiss")
    assert ack.status == 200
    await sandbox.slack.wait_for(lambda: preview.deleted)

    nothing = await command(sandbox, "/uc", "delete 998 1008,1009")
    assert "Nothing to delete" in text_of(nothing)
    assert "Customer `1008` of user `998` does not exist" in text_of(nothing)
    assert not elements(nothing, "uc_delete")


# ---- add and edit ---------------------------------------------------------------------------


async def test_add_modal_checks_fields_then_adds_with_the_default_secret(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(user_customer_secret="s1005")
    await sandbox.slack.slash_command("/uc", "add")
    form = await modal(sandbox)
    assert form.state["secret"]["value"]["value"] == "s1005"

    ack = await sandbox.slack.submit_view(form, {"user_id": "abc", "customer_id": "0"})
    assert ack.body == {
        "response_action": "errors",
        "errors": {
            "user_id": "The user id is a positive whole number, like 998.",
            "customer_id": "The customer id is a positive whole number, like 1001.",
        },
    }
    assert sent(sandbox, "add") == []

    await sandbox.slack.submit_view(
        form,
        {
            "user_id": "998",
            "customer_id": "1005",
            "template": "Dear <!channel>,\nhello",
            "reference": "VIP new",
        },
    )
    done = await modal(sandbox)
    assert "User `998` now follows customer `1005`." in text_of(done)
    assert sent(sandbox, "add") == [
        {
            "user_id": "998",
            "customer_id": "1005",
            "secret": "s1005",
            "template": "Dear <!channel>,\nhello",
            "reference": "VIP new",
        }
    ]
    [entry] = await audited(sandbox, 1, feature="uc")
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        AGENT,
        "add",
        "998 1005",
        "ok",
    )
    assert "s1005" not in entry.detail


async def test_a_refused_add_shows_the_backends_msg_in_the_form_again(sandbox: Sandbox) -> None:
    await sandbox.slack.slash_command("/uc", "add")
    form = await modal(sandbox)
    assert form.state["secret"]["value"]["value"] is None  # USER_CUSTOMER_SECRET is unset

    await sandbox.slack.submit_view(
        form, {"user_id": "998", "customer_id": "1006", "secret": "wrong"}
    )
    again = sandbox.slack.current_view(AGENT)
    assert again is form and form.errors == {
        "secret": "UserCustomer refused this authorization code: 授权码错误"
    }
    assert again.state["customer_id"]["value"]["value"] == "1006"
    [entry] = await audited(sandbox, 1, feature="uc")
    assert entry.outcome == "BackendRejected"


async def test_edit_opens_at_once_then_fills_in_and_sends_only_changes(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox()
    sandbox.user_customer.faults.inject(latency=0.3, path="/get_list", times=1)
    await sandbox.slack.slash_command("/uc", "edit 999 1001")

    opened = await sandbox.slack.wait_for_call("views.open")
    assert "Loading the relation of user `999` and customer `1001`" in json.dumps(opened.body)
    form = await modal(sandbox)
    first_backend_request = sandbox.user_customer.requests[0]
    assert opened.at <= first_backend_request.at
    update = await sandbox.slack.wait_for_call("views.update")
    assert update.body["hash"]
    assert form.state["template"]["value"]["value"] == "tpl-basic"
    assert form.state["script"]["value"]["value"] == "init();"
    assert form.state["reference"]["value"]["value"] == "VIP-001"

    ack = await sandbox.slack.submit_view(form)
    assert ack.body == {
        "response_action": "errors",
        "errors": {
            "template": "Nothing changed: edit the template, script or reference, or press Cancel."
        },
    }

    await sandbox.slack.submit_view(form, {"reference": "VIP-002", "script": ""})
    done = await modal(sandbox)
    assert ": script cleared, reference is now `VIP-002`." in text_of(done)
    assert sent(sandbox, "edit") == [
        {"user_id": "999", "customer_id": "1001", "script": "", "reference": "VIP-002"}
    ]
    assert sandbox.user_customer.relations[(999, 1001)]["template"] == "tpl-basic"


async def test_edit_from_a_rows_menu_opens_the_same_modal(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/uc", "list user=999")

    await sandbox.slack.click(message, "uc_menu", selected_option_value="edit 999 1003")
    form = await modal(sandbox)
    assert form.callback_id == "uc_edit"
    assert form.state["reference"]["value"]["value"] == "VIP gold"


# ---- backend failures -----------------------------------------------------------------------


async def test_code_500_with_http_200_shows_the_msg_and_a_retry(sandbox: Sandbox) -> None:
    body = {
        "code": 500,
        "msg": "数据库繁忙",
        "mix_code": 1,
        "mix_msg": "",
        "mix_ext": "",
        "result": [],
    }
    sandbox.user_customer.faults.inject(status=200, body=json.dumps(body), times=1)
    message = await command(sandbox, "/uc", "list user=998")

    assert ":x: UserCustomer refused: 数据库繁忙" in text_of(message)
    retry = button(message, "uc_retry")
    assert retry["value"] == "list user_id=998 page=1 size=10"

    await sandbox.slack.click(message, "uc_retry", value=retry["value"])
    await settled(sandbox, message, lambda m: row_keys(m) == ["998:1002", "998:1001"])


async def test_a_write_that_times_out_is_reported_unknown_and_sent_once(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(http_timeout=0.5)
    sandbox.user_customer.faults.inject(latency=0.8, path="/add")
    await sandbox.slack.slash_command("/uc", "add")
    form = await modal(sandbox)

    await sandbox.slack.submit_view(
        form, {"user_id": "998", "customer_id": "1005", "secret": "s1005"}
    )
    result = await modal(sandbox)
    text = text_of(result)
    assert "not known whether the change was made" in text
    assert "Check before trying again: `/uc get 998 1005`." in text
    # The slow add lands after the bot gave up; wait for it, then count what was sent.
    await sandbox.slack.wait_for(lambda: (998, 1005) in sandbox.user_customer.relations)
    assert len(sent(sandbox, "add")) == 1

    sandbox.user_customer.faults.clear()
    check = await command(sandbox, "/uc", "get 998 1005")
    assert "User `998` follows customer `1005`" in text_of(check)


# ---- roles ----------------------------------------------------------------------------------


VIEWER_REFUSALS = {
    "add": "You can't add relations: that needs the editor role. "
    "Ask an admin to add your Slack user id to EDITORS.",
    "edit 998 1001": "You can't edit relations: that needs the editor role.",
    "delete 998 1001": "You can't delete relations: that needs the editor role.",
    "audit": "You can't read the audit log: that needs the approver role.",
}


async def test_a_viewer_is_refused_changes_with_the_role_named(sandbox: Sandbox) -> None:
    for text, sentence in VIEWER_REFUSALS.items():
        message = await command(sandbox, "/uc", text, user=VIEWER)
        assert sentence in text_of(message), text

    assert sandbox.user_customer.requests == []
    assert sandbox.slack.current_view(VIEWER) is None
    entries = await audited(sandbox, 4, feature="uc")
    assert [(e.actor, e.action, e.outcome) for e in reversed(entries)] == [
        (VIEWER, "add relations", "refused"),
        (VIEWER, "edit relations", "refused"),
        (VIEWER, "delete relations", "refused"),
        (VIEWER, "read the audit log", "refused"),
    ]


async def test_viewers_list_read_only_and_others_are_refused(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(viewers=frozenset({VIEWER}))

    seen = await command(sandbox, "/uc", "list user=998", user=VIEWER)
    assert "user `998` → customer `1001`" in text_of(seen)
    assert not elements(seen, "uc_menu") and row_keys(seen) == []  # nothing to act on
    editor = await command(sandbox, "/uc", "list user=998", user=EDITOR)
    assert row_keys(editor) == ["998:1002", "998:1001"]  # an editor may look up too
    stranger = await command(sandbox, "/uc", "get 998 1001", user="U0STRANGER")
    assert "that needs the viewer role" in text_of(stranger)

    audit = await command(sandbox, "/uc", "audit", user=APPROVER)
    assert "was refused: look up relations 998 1001 (needs viewer)" in text_of(audit)


# ---- UserCustomer login ---------------------------------------------------------------------


async def test_concurrent_requests_share_one_renewed_login(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(
        user_customer_token=None, user_customer_username="support", user_customer_password="pw"
    )
    await command(sandbox, "/uc", "get 998 1001")
    assert sandbox.user_customer.login_count == 1

    sandbox.user_customer.expire_tokens()
    answers = await asyncio.gather(
        *(command(sandbox, "/uc", f"get 998 {customer}") for customer in (1001, 1002) * 6)
    )

    assert sandbox.user_customer.login_count == 2
    assert all("follows customer" in text_of(answer) for answer in answers)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_client_renews_its_token_before_it_expires() -> None:
    clock = FakeClock()
    emulator = UserCustomerEmulator(token=None, token_ttl=3600.0, clock=clock)
    emulator.seed_sample()
    client = UserCustomerClient(
        "http://uc.test",
        timeout=2.0,
        credentials=Credentials("support", "pw", "support-bot"),
        transport=httpx.ASGITransport(app=emulator.app),
        clock=clock,
    )
    key = RelationKey(user_id=998, customer_id=1001)
    try:
        await client.find(key)
        clock.now += 3000
        await client.find(key)
        assert emulator.login_count == 1

        # Past the stated expiry less the client's margin, still valid for the platform:
        # the client logs in again on its own instead of waiting for a 401.
        clock.now += 580
        await client.find(key)
    finally:
        await client.aclose()
    assert emulator.login_count == 2
    paths = [r.path.rsplit("/", 1)[-1] for r in emulator.requests]
    assert paths == ["login", "get_list", "get_list", "login", "get_list"]


# ---- values that say anything, pages past the end -------------------------------------------


async def test_filter_values_may_hold_any_character(sandbox: Sandbox) -> None:
    for typed, value in [
        ("ref=<!channel>", "<!channel>"),
        ("ref~<b>", "<b>"),
        ('ref="VIP gold"', "VIP gold"),
        ('ref~"a \\"b\\" c"', 'a "b" c'),
    ]:
        message = await command(sandbox, "/uc", f"list {typed}")
        assert "couldn't read" not in text_of(message), typed
        condition = sandbox.user_customer.requests[-1].params["condition"]
        assert condition[0][2] == value, (typed, condition)
    gold = await command(sandbox, "/uc", 'list ref="VIP gold"')
    assert row_keys(gold) == ["999:1003"]
    # The page's buttons carry the value quoted, so Next and Share read it back the same.
    assert button(gold, "uc_share")["value"] == 'list reference="VIP gold" page=1 size=10'


async def test_a_page_past_the_end_says_so_whatever_the_page(sandbox: Sandbox) -> None:
    message = await command(
        sandbox, "/uc", "list user=998 ref~VIP from=2018-11-01 to=2018-11-30 page=2 size=10"
    )
    text = text_of(message)
    assert "Page 2 is past the end" in text
    assert "page 2 of 1" not in text
    assert not elements(message, "uc_previous")


async def test_ticks_travel_across_pages_and_one_confirm_files_them(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(extra_relations=15)
    message = await command(sandbox, "/uc", "list size=10")
    first = row_keys(message)[0]
    await sandbox.slack.tick(message, f"uc_tick:{first}", [first])
    await settled(sandbox, message, lambda m: "Delete selected (1)" in text_of(m))

    await sandbox.slack.click(message, "uc_next", value=button(message, "uc_next")["value"])
    await settled(sandbox, message, lambda m: "page 2 of" in text_of(m))
    assert "Delete selected (1)" in text_of(message)
    assert first in ticked(message)  # shown ticked, among the ticks from other pages
    second = row_keys(message)[0]
    await sandbox.slack.tick(message, f"uc_tick:{second}", [second])
    await settled(sandbox, message, lambda m: "Delete selected (2)" in text_of(m))

    await sandbox.slack.click(message, "uc_previous", value=button(message, "uc_previous")["value"])
    await settled(sandbox, message, lambda m: "page 1 of" in text_of(m))
    assert "Delete selected (2)" in text_of(message) and first in ticked(message)

    ack = await sandbox.slack.click(message, "uc_delete_selected")
    preview = await reply(sandbox, ack)
    assert "These 2 relations" in text_of(preview)
    delete = button(preview, "uc_delete")
    assert delete["confirm"]  # the one confirm, then the request is filed
    await sandbox.slack.click(preview, "uc_delete", value=delete["value"])
    await sandbox.slack.wait_for(lambda: "filed" in text_of(preview))
