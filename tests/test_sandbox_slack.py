"""The emulated Slack, checked against slack_bolt and slack_sdk, without our bot."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from bot.sandbox.blockkit import check_blocks, check_message, check_view
from bot.sandbox.http import serve_asgi
from bot.sandbox.slack import SlackEmulator, SlackEmulatorError, signature

Json = dict[str, Any]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events() -> list[AsyncSlackRequestHandler]:
    """Where the `bolt` fixture plugs the app under test into the `slack` server."""
    return []


@pytest.fixture
async def slack(
    clock: Clock, events: list[AsyncSlackRequestHandler]
) -> AsyncIterator[SlackEmulator]:
    """The emulator and the app's events URL on one server: one shutdown per test, not two."""
    emulator = SlackEmulator(clock=clock)

    async def to_app(request: Request) -> Response:
        return await events[0].handle(request)

    routes = [Route("/slack/events", to_app, methods=["POST"]), Mount("/", emulator.app)]
    async with serve_asgi(Starlette(routes=routes)) as url:
        emulator.base_url, emulator.app_url = url, f"{url}/slack/events"
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
def bolt(
    slack: SlackEmulator, client: AsyncWebClient, events: list[AsyncSlackRequestHandler]
) -> AsyncApp:
    app = AsyncApp(signing_secret=slack.signing_secret, client=client)
    events.append(AsyncSlackRequestHandler(app))
    return app


def section(text: str, **extra: Any) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, value: str, text: str = "Go") -> Json:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


CID_MODAL: Json = {
    "type": "modal",
    "callback_id": "add_binding",
    "title": {"type": "plain_text", "text": "Add binding"},
    "submit": {"type": "plain_text", "text": "Add"},
    "blocks": [
        {
            "type": "input",
            "block_id": "cid",
            "label": {"type": "plain_text", "text": "cId"},
            "element": {"type": "plain_text_input", "action_id": "cid_input"},
        },
        {
            "type": "input",
            "block_id": "source",
            "label": {"type": "plain_text", "text": "Source"},
            "element": {
                "type": "static_select",
                "action_id": "source_select",
                "options": [
                    {"text": {"type": "plain_text", "text": s}, "value": s}
                    for s in ("wechat", "dingding")
                ],
                "initial_option": {
                    "text": {"type": "plain_text", "text": "wechat"},
                    "value": "wechat",
                },
            },
        },
    ],
}


# ---- Block Kit rules, no servers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section(f"row {i}") for i in range(51)], "51 blocks"),
        (
            [
                section(
                    "menu",
                    accessory={
                        "type": "overflow",
                        "action_id": "menu",
                        "options": [
                            {"text": {"type": "plain_text", "text": f"o{i}"}, "value": f"{i}"}
                            for i in range(6)
                        ],
                    },
                )
            ],
            "and 5 items",
        ),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "150"),
        ([section("hi <!channel>")], "would ping"),
        ([section("a", block_id="same"), section("b", block_id="same")], "'same' is used"),
        ([section("")], "non-empty"),
        ([{"type": "actions", "elements": [button("a", "1"), button("a", "2")]}], "action_id 'a'"),
        ([{"type": "sparkles"}], "unknown block type"),
        ([section("f", fields=[{"type": "mrkdwn", "text": "x" * 2001}])], "more than 2000"),
    ],
)
def test_block_kit_violations(blocks: list[Json], expected: str) -> None:
    problems = check_blocks(blocks, surface="message")
    assert any(expected in p for p in problems), problems


def test_block_kit_accepts_what_slack_accepts() -> None:
    blocks = [
        section("escaped &lt;!channel&gt; is only text"),
        section("row 1", accessory=button("edit", "1")),
        section("row 2", accessory=button("edit", "2")),
        {"type": "actions", "elements": [button("prev", "p"), button("next", "n")]},
    ]
    assert check_message("fallback", blocks) == []
    assert check_view(CID_MODAL) == []
    assert check_blocks([section(str(i)) for i in range(100)], surface="modal") == []


def test_view_rules() -> None:
    no_submit = {k: v for k, v in CID_MODAL.items() if k != "submit"}
    assert any("submit" in p for p in check_view(no_submit))
    long_title = CID_MODAL | {"title": {"type": "plain_text", "text": "t" * 25}}
    assert any("title" in p for p in check_view(long_title))
    assert check_message(None, None) == ["message has neither text nor blocks"]
    assert any("40000" in p for p in check_message("x" * 40_001, None))


def test_signature_matches_slack_sdk_verifier() -> None:
    body = b"token=x&command=%2Fbinding"
    stamp = int(time.time())
    verifier = SignatureVerifier("sandbox-signing-secret")
    assert verifier.is_valid(body, str(stamp), signature("sandbox-signing-secret", body, stamp))
    assert not verifier.is_valid(body, str(stamp), signature("other", body, stamp))


# ---- Web API ------------------------------------------------------------------------------------


async def test_serve_and_web_api_basics(clock: Clock) -> None:
    slack = SlackEmulator(clock=clock)
    async with slack.serve():
        await web_api_basics(slack, AsyncWebClient(token=slack.bot_token, base_url=slack.api_url))


async def web_api_basics(slack: SlackEmulator, client: AsyncWebClient) -> None:
    assert (await client.auth_test())["user_id"] == "U0BOT"
    assert (await client.users_info(user="U0APPROVER"))["user"]["name"] == "approver"
    assert (await client.conversations_open(users="U0AGENT"))["channel"]["id"].startswith("D")
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("chat.meMessage", json={"channel": "C0SUPPORT", "text": "hi"})
    bad = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await bad.auth_test()
    assert [c.method for c in slack.calls][:3] == ["auth.test", "users.info", "conversations.open"]
    assert len(slack.violations) == 2  # the unknown method and the bad token


async def test_messages_posted_updated_and_form_encoded(
    slack: SlackEmulator, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0SUPPORT", text="hi", blocks=[section("hi")])
    await client.chat_update(
        channel="C0SUPPORT", ts=posted["ts"], text="bye", blocks=[section("bye")]
    )
    form = {
        "channel": "C0SUPPORT",
        "user": "U0AGENT",
        "text": "psst",
        "blocks": json.dumps([section("psst")]),
    }
    await client.api_call("chat.postEphemeral", data=form)
    channel_message, ephemeral = slack.messages_in("C0SUPPORT")
    assert channel_message.text == "bye" and channel_message.blocks[0]["block_id"]
    assert ephemeral.ephemeral and ephemeral.user == "U0AGENT"
    assert ephemeral.blocks[0]["text"]["text"] == "psst"
    assert slack.last_message("C0SUPPORT", user="U0VIEWER") is channel_message
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C0SUPPORT", ts=ephemeral.ts, text="edit")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postMessage(channel="C0SUPPORT", text="x", blocks=[section("<!here>")])
    assert len(slack.violations) == 2


# ---- driving a bolt app ---------------------------------------------------------------------------


async def test_slash_command_ack_then_respond(slack: SlackEmulator, bolt: AsyncApp) -> None:
    received: list[Json] = []

    @bolt.command("/binding")
    async def binding(ack: Any, body: Json, respond: Any) -> None:
        received.append(body)
        await ack("Looking it up…")
        await respond(text="found", blocks=[section("*cId* `42`")], replace_original=True)

    ack = await slack.slash_command("/binding", "42 wechat")
    await slack.wait_for_response_posts(1)
    assert ack.status == 200 and ack.body == "Looking it up…"
    assert received[0]["text"] == "42 wechat" and received[0]["user_name"] == "agent"
    assert received[0]["response_url"] == ack.response_url
    # The response_url post arrived before the ack's HTTP response reached Slack: it had
    # nothing to replace, and the ack's message, applied on arrival, lands on top of it.
    found, placeholder = slack.messages_in("C0SUPPORT")
    assert found.text == "found" and found.ephemeral and found.user == "U0AGENT"
    assert placeholder.text == "Looking it up…"
    assert slack.last_message("C0SUPPORT", "U0AGENT") is placeholder
    slack.assert_clean()


async def test_a_response_after_the_ack_has_landed_replaces_it(
    slack: SlackEmulator, bolt: AsyncApp
) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any, respond: Any) -> None:
        await ack("Looking it up…")
        await asyncio.sleep(slack.ack_transit * 3)
        await respond(text="found", replace_original=True)

    await slack.slash_command("/binding", "42")
    await slack.wait_for_response_posts(1)
    (message,) = slack.messages_in("C0SUPPORT")
    assert message.text == "found"
    slack.assert_clean()


async def test_button_click_reaches_bolt_and_respond_replaces(
    slack: SlackEmulator, bolt: AsyncApp, client: AsyncWebClient
) -> None:
    clicks: list[Json] = []

    @bolt.action("edit")
    async def edit(ack: Any, body: Json, respond: Any) -> None:
        await ack()
        clicks.append(body)
        await respond(text="editing", replace_original=True)

    rows = [
        section("row 1", accessory=button("edit", "1")),
        section("row 2", accessory=button("edit", "2")),
    ]
    await client.chat_postMessage(channel="C0SUPPORT", text="rows", blocks=rows)
    message = slack.messages[0]
    ack = await slack.click(message, "edit", value="2")
    await slack.wait_for_response_posts(1)
    body = clicks[0]
    assert ack.status == 200 and body["actions"][0]["value"] == "2"
    assert body["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C0SUPPORT",
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == message.ts and body["response_url"] == ack.response_url
    assert message.text == "editing" and message.blocks == []
    with pytest.raises(SlackEmulatorError):
        await slack.click(message, "edit")
    slack.assert_clean()


async def test_ephemeral_click_has_no_message_and_carries_ticked_state(
    slack: SlackEmulator, bolt: AsyncApp, client: AsyncWebClient
) -> None:
    bodies: list[Json] = []

    @bolt.action("rows")
    @bolt.action("delete_selected")
    async def record(ack: Any, body: Json) -> None:
        await ack()
        bodies.append(body)

    options = [{"text": {"type": "plain_text", "text": n}, "value": n} for n in ("a", "b", "c")]
    blocks = [
        {
            "type": "actions",
            "block_id": "pick",
            "elements": [{"type": "checkboxes", "action_id": "rows", "options": options}],
        },
        {"type": "actions", "elements": [button("delete_selected", "go", "Delete selected")]},
    ]
    await client.chat_postEphemeral(channel="C0SUPPORT", user="U0AGENT", text="list", blocks=blocks)
    message = slack.messages[0]
    await slack.tick(message, "rows", ["a", "c"])
    await slack.click(message, "delete_selected")
    ticked, clicked = bodies
    assert ticked["actions"][0]["selected_options"] == [options[0], options[2]]
    assert "message" not in clicked and clicked["container"]["is_ephemeral"] is True
    picked = clicked["state"]["values"]["pick"]["rows"]["selected_options"]
    assert [o["value"] for o in picked] == ["a", "c"]
    with pytest.raises(SlackEmulatorError, match="cannot see"):
        await slack.click(message, "delete_selected", user_id="U0VIEWER")
    slack.assert_clean()


async def test_trigger_id_is_single_use_and_dies_after_three_seconds(
    slack: SlackEmulator, bolt: AsyncApp, client: AsyncWebClient, clock: Clock
) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any) -> None:
        await ack()

    fresh = await slack.slash_command("/binding", "add")
    opened = await client.views_open(trigger_id=fresh.trigger_id, view=CID_MODAL)
    assert slack.current_view("U0AGENT") is slack.views[0]
    assert opened["view"]["id"] == slack.views[0].id
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=fresh.trigger_id, view=CID_MODAL)
    late = await slack.slash_command("/binding", "add")
    clock.advance(3.1)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=late.trigger_id, view=CID_MODAL)
    assert [v.split(":")[1].strip() for v in slack.violations] == [
        "exchanged_trigger_id",
        "expired_trigger_id",
    ]


async def test_sixth_response_url_post_is_refused(slack: SlackEmulator, bolt: AsyncApp) -> None:
    @bolt.command("/uc")
    async def uc(ack: Any) -> None:
        await ack()

    ack = await slack.slash_command("/uc", "list")
    assert ack.response_url is not None
    async with httpx.AsyncClient() as http:
        statuses = [
            (await http.post(ack.response_url, json={"text": f"post {n}"})).status_code
            for n in range(6)
        ]
    assert statuses == [200] * 5 + [404]
    assert len(slack.response_posts) == 6 and len(slack.messages) == 5
    assert slack.violations == [
        f"response_url {ack.response_url.rsplit('/', 1)[1]}: used_url: already posted 5 times"
    ]


async def test_invalid_blocks_in_a_response_are_violations(
    slack: SlackEmulator, bolt: AsyncApp
) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any, respond: Any) -> None:
        await ack()
        await respond(
            blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
        )

    await slack.slash_command("/binding", "42")
    await slack.wait_for_response_posts(1)
    assert slack.messages == []
    assert "invalid_blocks" in slack.violations[0] and "150" in slack.violations[0]


async def test_view_submission_errors_then_close(slack: SlackEmulator, bolt: AsyncApp) -> None:
    submitted: list[Json] = []

    @bolt.command("/binding")
    async def binding(ack: Any, body: Json, client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=CID_MODAL)

    @bolt.view("add_binding")
    async def add(ack: Any, view: Json) -> None:
        values = view["state"]["values"]
        submitted.append(values)
        cid = values["cid"]["cid_input"]["value"]
        if cid.isdigit():
            await ack()
        else:
            await ack(response_action="errors", errors={"cid": "cId must be a number"})

    await slack.slash_command("/binding", "add")
    await slack.wait_for_call("views.open")
    view = slack.current_view("U0AGENT")
    assert view is not None
    with pytest.raises(SlackEmulatorError, match="required"):
        await slack.submit_view(view)
    await slack.submit_view(view, {"cid": "abc"})
    assert view.errors == {"cid": "cId must be a number"} and not view.closed
    assert submitted[0]["source"]["source_select"]["selected_option"]["value"] == "wechat"
    await slack.submit_view(view, {"cid_input": "42", "source": "dingding"})
    assert view.closed and slack.current_view("U0AGENT") is None
    assert submitted[1]["source"]["source_select"]["selected_option"]["value"] == "dingding"
    slack.assert_clean()


async def test_overflow_share_in_channel_then_delete_original(
    slack: SlackEmulator, bolt: AsyncApp, client: AsyncWebClient
) -> None:
    picked: list[Json] = []

    @bolt.action("card_menu")
    async def menu(ack: Any, action: Json, respond: Any) -> None:
        await ack()
        picked.append(action)
        await respond(text="shared", response_type="in_channel")
        await respond(delete_original=True)

    options = [{"text": {"type": "plain_text", "text": t}, "value": t} for t in ("share", "edit")]
    card = section(
        "card", accessory={"type": "overflow", "action_id": "card_menu", "options": options}
    )
    await client.chat_postEphemeral(channel="C0SUPPORT", user="U0AGENT", text="card", blocks=[card])
    await slack.click(slack.messages[0], "card_menu", selected_option_value="share")
    await slack.wait_for_response_posts(2)
    assert picked[0]["selected_option"] == options[0]
    (shared,) = slack.messages_in("C0SUPPORT")
    assert shared.text == "shared" and not shared.ephemeral
    assert slack.messages[0].deleted
    slack.assert_clean()


async def test_modal_stack_push_update_pop_and_view_closed(
    slack: SlackEmulator, bolt: AsyncApp
) -> None:
    closed: list[Json] = []
    root_modal = {
        "type": "modal",
        "callback_id": "root",
        "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Root"},
        "blocks": [{"type": "actions", "elements": [button("more", "1", "More")]}],
    }

    @bolt.command("/uc")
    async def uc(ack: Any, body: Json, client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=root_modal)

    @bolt.action("more")
    async def more(ack: Any, body: Json, client: AsyncWebClient) -> None:
        await ack()
        await client.views_push(trigger_id=body["trigger_id"], view=CID_MODAL)

    @bolt.view("add_binding")
    async def add(ack: Any, view: Json) -> None:
        if view["title"]["text"] == "Add binding":
            await ack(
                response_action="update",
                view=CID_MODAL | {"title": {"type": "plain_text", "text": "Check"}},
            )
        else:
            await ack()

    @bolt.view_closed("root")
    async def root_closed(ack: Any, body: Json) -> None:
        await ack()
        closed.append(body)

    await slack.slash_command("/uc", "add")
    root = await slack.wait_for(lambda: slack.current_view("U0AGENT"))
    await slack.click_in_view(root, "more")
    await slack.wait_for_call("views.push")
    pushed = slack.current_view("U0AGENT")
    assert pushed is not None and pushed is not root
    assert pushed.stack_position == 2 and pushed.view["previous_view_id"] == root.id
    await slack.submit_view(pushed, {"cid": "42"})
    assert pushed.view["title"]["text"] == "Check" and not pushed.closed
    await slack.submit_view(pushed)
    assert pushed.closed and slack.current_view("U0AGENT") is root
    assert await slack.close_view(root) is not None
    assert closed[0]["is_cleared"] is False and closed[0]["view"]["id"] == root.id
    slack.assert_clean()


async def test_views_update_hash_and_push_limit(
    slack: SlackEmulator, bolt: AsyncApp, client: AsyncWebClient
) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any) -> None:
        await ack()

    async def trigger() -> str | None:
        return (await slack.slash_command("/binding", "add")).trigger_id

    opened = await client.views_open(trigger_id=await trigger(), view=CID_MODAL)
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    slack.fill(slack.views[0], {"cid": "7"})
    updated = await client.views_update(view_id=view_id, hash=first_hash, view=CID_MODAL)
    assert slack.views[0].state["cid"]["cid_input"]["value"] == "7"  # typed input survives
    assert updated["view"]["hash"] == slack.views[0].hash != first_hash
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=view_id, hash=first_hash, view=CID_MODAL)
    for _ in range(2):
        await client.views_push(trigger_id=await trigger(), view=CID_MODAL)
    with pytest.raises(SlackApiError, match="push_limit_reached"):
        await client.views_push(trigger_id=await trigger(), view=CID_MODAL)
    assert [v.stack_position for v in slack.views] == [1, 2, 3]
    # A stale hash is a race Slack reports to a correct app, not a broken rule.
    assert len(slack.violations) == 1 and "push_limit_reached" in slack.violations[0]


async def test_home_tab_opened_and_published(slack: SlackEmulator, bolt: AsyncApp) -> None:
    home = {"type": "home", "blocks": [section("Welcome")]}

    @bolt.event("app_home_opened")
    async def opened(event: Json, client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view=home)

    await slack.open_home("U0EDITOR")
    await slack.wait_for_call("views.publish")
    published = slack.home_view("U0EDITOR")
    assert published is not None and published.view["blocks"][0]["text"]["text"] == "Welcome"
    slack.assert_clean()


async def test_bad_signatures_are_refused_by_bolt(slack: SlackEmulator, bolt: AsyncApp) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any) -> None:
        await ack()

    forged = await slack.slash_command("/binding", headers={"X-Slack-Signature": "v0=" + "0" * 64})
    body = b"command=%2Fbinding"
    stale = await slack.send_raw(body, slack.sign(body, timestamp=int(time.time()) - 600))
    assert (forged.status, stale.status_code) == (401, 401)
    slack.assert_clean()


async def test_slow_ack_is_a_violation(slack: SlackEmulator, bolt: AsyncApp) -> None:
    @bolt.command("/binding")
    async def binding(ack: Any) -> None:
        await asyncio.sleep(3.2)
        await ack()

    ack = await slack.slash_command("/binding", "42")
    assert ack.elapsed > 3.0
    # bolt gives up on the listener at 3 s itself and answers 404
    assert slack.violations == [
        "ack for /binding answered HTTP 404",
        f"ack for /binding took {ack.elapsed * 1000:.0f} ms; Slack waits 3 s",
    ]
