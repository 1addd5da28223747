"""An emulated Slack workspace that holds an app to Slack's rules.

It speaks only Slack's protocol: the Web API at `/api/<method>`, response_urls at
`/response/<id>`, and signed requests to the app's events URL, as Slack sends them.
It keeps what a person would see (messages, modals, the Home tab) so tests and the
terminal demo can look at it, and records every broken rule in `.violations`.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import hmac
import itertools
import json
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.blockkit import check_message, check_view, elements
from bot.sandbox.http import serve_asgi

Json = dict[str, Any]
T = TypeVar("T")

TRIGGER_TTL: Final = 3.0
ACK_DEADLINE: Final = 3.0
# How long an ack's HTTP response takes to reach Slack after the app sent it. Slack applies
# an ack's effects when it arrives and the app's Web API calls as they arrive: nothing orders
# the two. The sandbox takes the reading that fails an app which calls right after acking.
ACK_TRANSIT: Final = 0.1
RESPONSE_URL_USES: Final = 5
RESPONSE_URL_TTL: Final = 30 * 60.0
VIEW_STACK_LIMIT: Final = 3
BOT_USER_ID: Final = "U0BOT"
BOT_ID: Final = "B0BOT"
APP_ID: Final = "A0SANDBOX"
# The deprecated verification token Slack still puts in every payload.
VERIFICATION_TOKEN: Final = "sandbox-verification-token"
FORM: Final = "application/x-www-form-urlencoded"

# Methods Slack accepts only with the app-level token (xapp-), not the bot token.
_APP_LEVEL: Final = frozenset({"apps.connections.open"})
_JSON_ARGS: Final = ("blocks", "view", "attachments", "metadata")
_TEXT_INPUTS: Final = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
)
_ONE_OPTION: Final = frozenset({"static_select", "radio_buttons", "overflow", "external_select"})
_MANY_OPTIONS: Final = frozenset({"checkboxes", "multi_static_select", "multi_external_select"})
_PICKED: Final = {
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
}
# id: (name, real name, Slack locale, time zone)
_PEOPLE: Final = {
    "U0AGENT": ("agent", "Alex Agent", "en-US", "Asia/Shanghai"),
    "U0EDITOR": ("editor", "Erin Editor", "en-US", "Asia/Shanghai"),
    "U0APPROVER": ("approver", "Avery Approver", "en-US", "Asia/Shanghai"),
    "U0APPROVER2": ("approver2", "Ari Approver", "en-GB", "Europe/London"),
    "U0VIEWER": ("viewer", "Val Viewer", "en-US", "America/Los_Angeles"),
    "U0AGENTZH": ("agent_zh", "李娜", "zh-CN", "Asia/Shanghai"),
    "U0APPROVERZH": ("approver_zh", "王芳", "zh-CN", "Asia/Shanghai"),
}
_CHANNELS: Final = {"C0SUPPORT": "support", "C0APPROVALS": "support-approvals"}


class SlackEmulatorError(Exception):
    """The driver was asked for something a person could not do in Slack."""


class _SlackError(Exception):
    """A Slack error answer; `violation` is False for answers a correct app may get."""

    def __init__(
        self, error: str, detail: str, *, violation: bool = True, status: int = 200, **extra: Any
    ) -> None:
        super().__init__(f"{error}: {detail}")
        self.error = error
        self.detail = detail
        self.violation = violation
        self.status = status
        self.extra = extra


@dataclass
class ApiCall:
    method: str
    body: Json
    at: float


@dataclass
class Message:
    channel: str
    ts: str
    text: str | None
    blocks: list[Json]
    user: str | None = None
    ephemeral: bool = False
    thread_ts: str | None = None
    response_url_id: str | None = None
    deleted: bool = False
    # What the person has picked in this message's checkboxes and menus: Slack keeps it
    # client side and sends it as state.values with the next interaction.
    state: dict[str, dict[str, Json]] = field(default_factory=dict)

    def visible_to(self, user: str) -> bool:
        return not self.deleted and (not self.ephemeral or self.user == user)


@dataclass
class View:
    id: str
    hash: str
    user: str
    view: Json
    stack_position: int
    errors: dict[str, str] | None = None
    closed: bool = False

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")

    @property
    def state(self) -> dict[str, dict[str, Json]]:
        values: dict[str, dict[str, Json]] = self.view["state"]["values"]
        return values


@dataclass
class ResponsePost:
    url_id: str
    body: Json | str  # str when what was posted is not JSON
    at: float


@dataclass
class Ack:
    status: int
    body: Json | str | None
    elapsed: float
    response_url: str | None = None
    trigger_id: str | None = None


@dataclass
class _Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class _ResponseUrl:
    user: str
    channel: str
    message_ts: str | None
    issued_at: float
    posts: int = 0


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's v0 request signature of `body` sent at `timestamp`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def find_element(
    blocks: list[Json], action_id: str, value: str | None = None
) -> tuple[str | None, Json]:
    """The (block_id, element) with `action_id`; `value` picks one when several share it."""
    found = [(b.get("block_id"), e) for b in blocks for e in elements(b)]
    found = [(bid, e) for bid, e in found if e.get("action_id") == action_id]
    if len(found) > 1 and value is not None:
        found = [(bid, e) for bid, e in found if _offers(e, value)]
    if len(found) != 1:
        raise SlackEmulatorError(f"{len(found)} elements with action_id {action_id!r}")
    return found[0]


def _offers(element: Json, value: str) -> bool:
    return element.get("value") == value or _option(element, value) is not None


def _options(element: Json) -> list[Json]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: Json, value: str) -> Json | None:
    return next((o for o in _options(element) if o.get("value") == value), None)


def _initial_state(element: Json) -> Json | None:
    kind = element.get("type")
    if kind == "overflow":  # a menu of commands: nothing stays picked
        return None
    if kind in _TEXT_INPUTS:
        return {"type": kind, "value": element.get("initial_value")}
    if kind in _ONE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in _MANY_OPTIONS:
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind in _PICKED:
        key, initial = _PICKED[kind]
        return {"type": kind, key: element.get(initial)}
    return None


def _entered_state(element: Json, value: Any) -> Json:
    """The state entry after a person enters `value` into `element`."""
    kind = element.get("type")
    if kind in _TEXT_INPUTS:
        return {"type": kind, "value": None if value in (None, "") else str(value)}
    if kind in _ONE_OPTION:
        return {"type": kind, "selected_option": _chosen(element, value) if value else None}
    if kind in _MANY_OPTIONS:
        return {"type": kind, "selected_options": [_chosen(element, v) for v in value or []]}
    if kind in _PICKED:
        return {"type": kind, _PICKED[kind][0]: value}
    raise SlackEmulatorError(f"cannot enter a value into a {kind} element")


def _chosen(element: Json, value: str) -> Json:
    option = _option(element, value)
    if option is None:
        raise SlackEmulatorError(f"{element.get('action_id')!r} has no option {value!r}")
    return option


def _state_values(blocks: list[Json], kept: dict[str, dict[str, Json]]) -> Json:
    """Every stateful element's current value: what the person picked, else its initial one."""
    values: dict[str, dict[str, Json]] = {}
    for block in blocks:
        block_id = str(block.get("block_id"))
        for element in elements(block):
            action_id = str(element.get("action_id"))
            entry = kept.get(block_id, {}).get(action_id) or _initial_state(element)
            if entry is not None:
                values.setdefault(block_id, {})[action_id] = entry
    return values


def _is_empty(entry: Json) -> bool:
    picked = [v for k, v in entry.items() if k != "type"]
    return all(v in (None, "", []) for v in picked)


def _client_side_problem(block: Json, element: Json, entry: Json) -> str | None:
    if _is_empty(entry):
        return None if block.get("optional") else "required, but empty"
    length = len(str(entry.get("value") or ""))
    if length < int(element.get("min_length") or 0):
        return f"{length} chars, min_length is {element['min_length']}"
    if length > int(element.get("max_length") or 3000):
        return f"{length} chars, max_length is {element.get('max_length', 3000)}"
    return None


def _decode_json_args(args: Json) -> Json:
    # Form-encoded calls carry blocks and views as JSON strings; Slack accepts that in JSON too.
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            with suppress(json.JSONDecodeError):
                args[key] = json.loads(args[key])
    return args


async def _read_args(request: Request) -> Json:
    args: Json = dict(request.query_params)
    raw = await request.body()
    if "json" not in request.headers.get("content-type", ""):
        args.update(parse_qsl(raw.decode()))
        return _decode_json_args(args)
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise _SlackError("invalid_json", str(exc)) from exc
    if not isinstance(body, dict):
        raise _SlackError("invalid_json", "body is not a JSON object")
    return _decode_json_args(args | body)


def _ack_body(response: httpx.Response) -> Json | str | None:
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        body: Json = response.json()
        return body
    return response.text


@functools.cache
def _plain_http_only() -> ssl.SSLContext:
    """One TLS context for every request the emulator sends (all plain HTTP on loopback):
    httpx would load the CA bundle for each new client, 30 ms of CPU a request, which under
    load showed up as late acks of the app."""
    return ssl.create_default_context()


class SlackEmulator:
    """One Slack workspace with one app installed; `app` is its ASGI server."""

    def __init__(
        self,
        signing_secret: str = "sandbox-signing-secret",
        bot_token: str = "xoxb-sandbox",
        *,
        app_token: str = "xapp-sandbox",
        team_id: str = "T0SANDBOX",
        clock: Callable[[], float] = time.time,
        ack_transit: float = ACK_TRANSIT,
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token
        # Where apps.connections.open sends a Socket Mode app; None: Socket Mode is off.
        self.socket_mode_url: str | None = None
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.clock = clock
        self.ack_transit = ack_transit
        self.base_url = ""
        self.app_url = ""
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self.messages: list[Message] = []
        self.views: list[View] = []
        self.response_posts: list[ResponsePost] = []
        # Every request sent to the app, as sent, so a test can replay it.
        self.sent: list[tuple[bytes, dict[str, str]]] = []
        # Web API methods that answer only once their event is set: a test holds Slack slow.
        self.held: dict[str, asyncio.Event] = {}
        self.users: dict[str, Json] = {uid: self._person(uid, *n) for uid, n in _PEOPLE.items()}
        self.channels: dict[str, Json] = {
            cid: {"id": cid, "name": n} for cid, n in _CHANNELS.items()
        }
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ids = itertools.count(1)
        self._last_micros = 0
        self._methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{url_id}", self._response_url_post, methods=["POST"]),
            ]
        )

    # ---- serving and looking -------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve the emulator on a loopback port; sets and yields `base_url`."""
        async with serve_asgi(self.app) as base_url:
            self.base_url = base_url
            yield base_url

    def messages_in(self, channel: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and not m.deleted]

    def last_message(self, channel: str | None = None, user: str | None = None) -> Message | None:
        """The newest message in `channel` (any when None) that `user` can see (any when None)."""
        for message in reversed(self.messages):
            if message.deleted or channel not in (None, message.channel):
                continue
            if user is None or message.visible_to(user):
                return message
        return None

    def current_view(self, user: str) -> View | None:
        """The modal on top of `user`'s stack, if one is open."""
        stack = self._stack(user)
        return stack[-1] if stack else None

    def home_view(self, user: str) -> View | None:
        return next((v for v in self.views if v.user == user and v.stack_position == 0), None)

    def assert_clean(self) -> None:
        if self.violations:
            raise AssertionError("Slack rules broken:\n- " + "\n- ".join(self.violations))

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Poll until `predicate` returns something other than None or False."""
        deadline = time.monotonic() + timeout
        while (result := predicate()) is None or result is False:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing within {timeout} s; violations: {self.violations}")
            await asyncio.sleep(0.01)
        return result

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> ApiCall:
        """The `count`-th call of `method`, once it has been made."""

        def nth() -> ApiCall | None:
            made = [c for c in self.calls if c.method == method]
            return made[count - 1] if len(made) >= count else None

        return await self.wait_for(nth, timeout)

    async def wait_for_response_posts(self, count: int, timeout: float = 5.0) -> list[ResponsePost]:
        await self.wait_for(lambda: len(self.response_posts) >= count, timeout)
        return self.response_posts

    # ---- driving the app: what Slack sends --------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers; the app compares the timestamp with its own wall clock."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(self.signing_secret, body, stamp),
        }

    async def send_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST exactly this to the app, for tests of what the app refuses."""
        if not self.app_url:
            raise SlackEmulatorError("app_url is not set")
        self.sent.append((body, headers))
        async with httpx.AsyncClient(timeout=10.0, verify=_plain_http_only()) as client:
            return await client.post(self.app_url, content=body, headers=headers)

    async def send_signed(
        self, body: bytes, *, content_type: str = FORM, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Any body, signed as Slack signs; `headers` add to or replace Slack's (not judged).

        What an attacker who has the secret, or a Slack that changed its payloads, sends.
        """
        return await self.send_raw(
            body, {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        )

    async def send_payload(self, payload: Any, *, signed: bool = True) -> httpx.Response:
        """An interactivity payload of any shape (`payload=<json>`), signed or with no
        signature headers at all."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        if signed:
            return await self.send_signed(body)
        return await self.send_raw(body, {"Content-Type": FORM})

    async def replay(self, index: int = -1) -> httpx.Response:
        """Send again the exact bytes and headers of an earlier request (the last by default)."""
        body, headers = self.sent[index]
        return await self.send_raw(body, headers)

    def interaction_base(self, kind: str, user_id: str = "U0AGENT") -> Json:
        """The fields every interactivity payload of `kind` has, with a fresh trigger_id and
        (for block actions) response_url; tests add or break the rest."""
        payload: Json = {
            "type": kind,
            "user": self._payload_user(user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "team": self._payload_team(),
            "trigger_id": self._issue_trigger(user_id),
            "is_enterprise_install": False,
            "enterprise": None,
        }
        if kind == "block_actions":
            url_id = self._issue_response_url(user_id, "C0SUPPORT", None)
            payload["response_url"] = self._response_url(url_id)
            payload["channel"] = {"id": "C0SUPPORT", "name": "support"}
            payload["container"] = {"type": "message", "channel_id": "C0SUPPORT"}
        return payload

    async def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0AGENT",
        user_name: str | None = None,
        channel_id: str = "C0SUPPORT",
        channel_name: str | None = None,
        headers: dict[str, str] | None = None,
        **overrides: str,
    ) -> Ack:
        """Someone types `command text`; `headers` replace signature headers (ack not judged)."""
        fields = self.command_fields(
            command,
            text,
            user_id=user_id,
            user_name=user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            **overrides,
        )
        url_id = fields["response_url"].rsplit("/", 1)[-1]
        ack = await self._send(command, urlencode(fields).encode(), FORM, headers)
        if headers is None and ack.status == 200 and ack.body:
            # Shown when the ack's HTTP response reaches Slack; response_url posts the app
            # made meanwhile were applied as they came, so the ack may land on top of them.
            await asyncio.sleep(self.ack_transit)
            self._show_command_ack(command, ack.body, url_id)
        ack.response_url, ack.trigger_id = fields["response_url"], fields["trigger_id"]
        return ack

    def command_fields(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0AGENT",
        user_name: str | None = None,
        channel_id: str = "C0SUPPORT",
        channel_name: str | None = None,
        **overrides: str,
    ) -> dict[str, str]:
        """What Slack sends for `command text`, with a fresh trigger_id and response_url.

        Over HTTP it is the form body; in Socket Mode, the envelope's payload.
        """
        trigger_id = self._issue_trigger(user_id)
        url_id = self._issue_response_url(user_id, channel_id, None)
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or self._user_name(user_id),
            "command": command,
            # Slack sends what was typed with `&`, `<` and `>` as HTML entities.
            "text": text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(url_id),
            "trigger_id": trigger_id,
            **overrides,
        }

    async def click(
        self,
        message: Message,
        action_id: str,
        *,
        value: str | None = None,
        user_id: str = "U0AGENT",
        selected_option_value: str | None = None,
    ) -> Ack:
        """`user_id` presses a button, or picks an option of a menu, in `message`."""
        if not message.visible_to(user_id):
            raise SlackEmulatorError(f"{user_id} cannot see message {message.ts}")
        choice = selected_option_value if selected_option_value is not None else value
        block_id, element = find_element(message.blocks, action_id, choice)
        action = self._action(block_id, element, choice)
        self._keep_state(message.state, action)
        return await self._message_action(message, user_id, action)

    async def tick(
        self, message: Message, action_id: str, values: list[str], *, user_id: str = "U0AGENT"
    ) -> Ack:
        """`user_id` sets the ticked options of a checkboxes (or multi-select) element."""
        if not message.visible_to(user_id):
            raise SlackEmulatorError(f"{user_id} cannot see message {message.ts}")
        block_id, element = find_element(message.blocks, action_id)
        action = {**self._action_base(block_id, element), **_entered_state(element, values)}
        self._keep_state(message.state, action)
        return await self._message_action(message, user_id, action)

    def fill(self, view: View, values: dict[str, Any]) -> None:
        """Type into the inputs of `view`: block_id (or action_id) → value; nothing is sent."""
        for key, value in values.items():
            block_id, element = self._input(view, key)
            entry = _entered_state(element, value)
            view.state.setdefault(block_id, {})[str(element.get("action_id"))] = entry

    async def click_in_view(
        self,
        view: View,
        action_id: str,
        *,
        value: str | None = None,
        selected_option_value: str | None = None,
        user_id: str | None = None,
    ) -> Ack:
        """A button or menu inside an open view (a modal or the Home tab)."""
        user = self._viewer(view, user_id)
        choice = selected_option_value if selected_option_value is not None else value
        block_id, element = find_element(view.view["blocks"], action_id, choice)
        action = self._action(block_id, element, choice)
        self._keep_state(view.state, action)
        trigger_id = self._issue_trigger(user)
        payload = {
            "type": "block_actions",
            "user": self._payload_user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": view.id},
            "trigger_id": trigger_id,
            "team": self._payload_team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view.view,
            "actions": [action],
        }
        ack = await self._send_payload(f"block_actions {action_id}", payload)
        ack.trigger_id = trigger_id
        return ack

    async def submit_view(
        self, view: View, values: dict[str, Any] | None = None, *, user_id: str | None = None
    ) -> Ack:
        """Fill `values` in, then press Submit, as the person on whose screen `view` is."""
        user = self._viewer(view, user_id)
        if view.stack_position == 0 or not view.view.get("submit"):
            raise SlackEmulatorError(f"view {view.id} has no submit button")
        self.fill(view, values or {})
        self._refuse_unsubmittable(view)
        trigger_id = self._issue_trigger(user)
        payload = {
            "type": "view_submission",
            "team": self._payload_team(),
            "user": self._payload_user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id,
            "view": view.view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        ack = await self._send_payload(f"view_submission {view.callback_id}", payload)
        if ack.status == 200:
            # Applied on arrival: the app's calls made meanwhile have been applied already.
            await asyncio.sleep(self.ack_transit)
            self._apply_submission_ack(view, ack.body)
        ack.trigger_id = trigger_id
        return ack

    async def close_view(self, view: View, *, user_id: str | None = None) -> Ack | None:
        """The person presses Close; Slack tells the app only when notify_on_close is set."""
        user = self._viewer(view, user_id)
        if view.stack_position == 0:
            raise SlackEmulatorError("the Home tab cannot be closed")
        cleared = bool(view.view.get("clear_on_close"))
        self._close(user, everything=cleared)
        if not view.view.get("notify_on_close"):
            return None
        payload = {
            "type": "view_closed",
            "team": self._payload_team(),
            "user": self._payload_user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "view": view.view,
            "is_cleared": cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self._send_payload(f"view_closed {view.callback_id}", payload)

    async def open_home(self, user_id: str = "U0AGENT") -> Ack:
        """The person opens the app's Home tab: an `app_home_opened` event."""
        home = self.home_view(user_id)
        event: Json = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self._dm_channel(user_id),
            "tab": "home",
            "event_ts": self._next_ts(),
        }
        if home is not None:
            event["view"] = home.view
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        body = json.dumps(envelope).encode()
        return await self._send("app_home_opened", body, "application/json", None)

    # ---- sending and judging acks -------------------------------------------------------

    async def _send_payload(self, label: str, payload: Json) -> Ack:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send(label, body, FORM, None)

    async def _send(
        self, label: str, body: bytes, content_type: str, headers: dict[str, str] | None
    ) -> Ack:
        sent = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        started = time.perf_counter()
        response = await self.send_raw(body, sent)
        elapsed = time.perf_counter() - started
        if headers is None:
            self._judge_ack(label, response.status_code, elapsed)
        return Ack(response.status_code, _ack_body(response), elapsed)

    def _judge_ack(self, label: str, status: int, elapsed: float) -> None:
        if status != 200:
            self.violations.append(f"ack for {label} answered HTTP {status}")
        if elapsed > ACK_DEADLINE:
            self.violations.append(f"ack for {label} took {elapsed * 1000:.0f} ms; Slack waits 3 s")

    def _show_command_ack(self, command: str, body: Json | str, url_id: str) -> None:
        # A slash command's ack body is shown as a response, in the order it arrives.
        reply: Json = {"text": body} if isinstance(body, str) else body
        problems = check_message(reply.get("text"), reply.get("blocks"))
        if problems:
            self.violations.append(f"ack for {command}: invalid_blocks: {problems}")
            return
        self._post_response(self._response_urls[url_id], url_id, reply)

    def _apply_submission_ack(self, view: View, body: Json | str | None) -> None:
        if isinstance(body, str):
            self.violations.append(f"view_submission ack must be empty or JSON, got {body!r}")
            return
        body = body or {}
        action = body.get("response_action")
        if action is None:
            self._close(view.user, everything=False)
        elif action == "clear":
            self._close(view.user, everything=True)
        elif action == "errors":
            self._show_errors(view, body.get("errors"))
        elif action in ("update", "push"):
            self._apply_view_action(view, str(action), body.get("view"))
        else:
            self.violations.append(f"view_submission ack: unknown response_action {action!r}")

    def _show_errors(self, view: View, errors: Any) -> None:
        inputs = {b.get("block_id") for b in view.view["blocks"] if b.get("type") == "input"}
        if not isinstance(errors, dict) or not errors:
            self.violations.append(f"response_action errors needs a non-empty map, got {errors!r}")
        elif unknown := sorted(set(errors) - inputs):
            self.violations.append(f"response_action errors names no input block: {unknown}")
        else:
            view.errors = {str(k): str(v) for k, v in errors.items()}

    def _apply_view_action(self, view: View, action: str, new: Any) -> None:
        try:
            checked = self._view_arg(f"response_action {action}", new, "modal")
            if action == "push":
                self._push(view.user, checked)
            else:
                self._replace(view, checked)
        except _SlackError as exc:
            self.violations.append(f"view_submission ack: {exc}")

    # ---- interactions on messages --------------------------------------------------

    async def _message_action(self, message: Message, user: str, action: Json) -> Ack:
        trigger_id = self._issue_trigger(user)
        url_id = self._issue_response_url(user, message.channel, message.ts)
        payload: Json = {
            "type": "block_actions",
            "user": self._payload_user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.ephemeral,
            },
            "trigger_id": trigger_id,
            "team": self._payload_team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": self._channel_name(message.channel)},
            "state": {"values": _state_values(message.blocks, message.state)},
            "response_url": self._response_url(url_id),
            "actions": [action],
        }
        # Slack leaves the message out for ephemeral ones: only the container points at it.
        if not message.ephemeral:
            payload["message"] = self._message_payload(message)
        ack = await self._send_payload(f"block_actions {action['action_id']}", payload)
        ack.response_url, ack.trigger_id = payload["response_url"], trigger_id
        return ack

    def _action_base(self, block_id: str | None, element: Json) -> Json:
        return {
            "type": element.get("type"),
            "action_id": element.get("action_id"),
            "block_id": block_id,
            "action_ts": f"{self.clock():.6f}",
        }

    def _action(self, block_id: str | None, element: Json, choice: str | None) -> Json:
        action = self._action_base(block_id, element)
        kind = element.get("type")
        if kind == "button":
            keys = ("text", "value", "style", "url")
            return action | {k: element[k] for k in keys if k in element}
        if kind in _ONE_OPTION or kind in _PICKED:
            if choice is None:
                raise SlackEmulatorError(f"pick an option of {element.get('action_id')!r}")
            return action | _entered_state(element, choice)
        raise SlackEmulatorError(f"cannot click a {kind} element; use tick() or fill()")

    @staticmethod
    def _keep_state(state: dict[str, dict[str, Json]], action: Json) -> None:
        if _initial_state({"type": action["type"]}) is None:
            return
        entry = {k: v for k, v in action.items() if k not in ("action_id", "block_id", "action_ts")}
        state.setdefault(str(action["block_id"]), {})[str(action["action_id"])] = entry

    # ---- views: the person's side ------------------------------------------------------

    def _viewer(self, view: View, user_id: str | None) -> str:
        user = user_id or view.user
        on_screen = self.home_view(user) if view.stack_position == 0 else self.current_view(user)
        if on_screen is not view:
            raise SlackEmulatorError(f"view {view.id} is not on {user}'s screen")
        return user

    def _input(self, view: View, key: str) -> tuple[str, Json]:
        for block in view.view["blocks"]:
            for element in elements(block):
                if key in (block.get("block_id"), element.get("action_id")):
                    return str(block.get("block_id")), element
        raise SlackEmulatorError(f"view {view.id} has no input {key!r}")

    def _refuse_unsubmittable(self, view: View) -> None:
        # Slack's client checks these itself and never sends the submission.
        for block in view.view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            entry = view.state.get(str(block.get("block_id")), {}).get(element.get("action_id"))
            problem = _client_side_problem(block, element, entry or {})
            if problem:
                raise SlackEmulatorError(f"input {block.get('block_id')!r}: {problem}")

    def _stack(self, user: str) -> list[View]:
        open_modals = [
            v for v in self.views if v.user == user and v.stack_position and not v.closed
        ]
        return sorted(open_modals, key=lambda v: v.stack_position)

    def _close(self, user: str, *, everything: bool) -> None:
        stack = self._stack(user)
        for view in stack if everything else stack[-1:]:
            view.closed = True

    # ---- the Web API ----------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        if method in self.held:
            await self.held[method].wait()
        args: Json = {}
        # Recorded after handling, so a test that sees the call also sees its effects.
        try:
            args = await _read_args(request)
            expected = self.app_token if method in _APP_LEVEL else self.bot_token
            self._authenticate(request, args.pop("token", None), expected)
            handler = self._methods.get(method)
            if handler is None:
                raise _SlackError("unknown_method", "not emulated or not a Slack method")
            answer = handler(args)
        except _SlackError as exc:
            if exc.violation:
                self.violations.append(f"{method}: {exc}")
            answer = {"ok": False, "error": exc.error, **exc.extra}
        finally:
            self.calls.append(ApiCall(method, args, self.clock()))
        return JSONResponse(answer)

    def _authenticate(self, request: Request, token: str | None, expected: str) -> None:
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else token
        if not given:
            raise _SlackError("not_authed", "no token")
        if given != expected:
            raise _SlackError("invalid_auth", "wrong token")

    def _auth_test(self, args: Json) -> Json:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Sandbox",
            "user": "support-bot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: Json) -> Json:
        if self.socket_mode_url is None:
            raise _SlackError("not_allowed_token_type", "Socket Mode is off", violation=False)
        return {"ok": True, "url": self.socket_mode_url}

    def _chat_post_message(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"))
        self._check_message_args(args)
        message = self._store(channel, args)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": self._message_payload(message),
        }

    def _chat_post_ephemeral(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"))
        user = args.get("user")
        if user not in self.users:
            raise _SlackError("user_not_in_channel", f"user {user!r}")
        self._check_message_args(args)
        message = self._store(channel, args, user=user)
        return {"ok": True, "message_ts": message.ts}

    def _chat_update(self, args: Json) -> Json:
        message = self._posted(args)
        self._check_message_args(args)
        if "text" in args:
            message.text = args["text"]
        if "blocks" in args:
            message.blocks = self._with_block_ids(args["blocks"] or [])
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_payload(message),
        }

    def _chat_delete(self, args: Json) -> Json:
        message = self._posted(args)
        message.deleted = True
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _users_info(self, args: Json) -> Json:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise _SlackError("user_not_found", repr(args.get("user")), violation=False)
        # As in Slack, the locale is there only for callers who ask for it.
        if str(args.get("include_locale")).lower() not in ("true", "1"):
            user = {k: v for k, v in user.items() if k != "locale"}
        return {"ok": True, "user": user}

    def _conversations_open(self, args: Json) -> Json:
        users = args.get("users") or ""
        wanted = users if isinstance(users, list) else str(users).split(",")
        wanted = [u.strip() for u in wanted if u.strip()]
        if len(wanted) != 1:
            raise _SlackError("invalid_arguments", f"emulated for one user, got {users!r}")
        if wanted[0] not in self.users:
            raise _SlackError("user_not_found", repr(wanted[0]))
        return {"ok": True, "channel": {"id": self._dm_channel(wanted[0])}}

    def _views_open(self, args: Json) -> Json:
        new = self._view_arg("views.open", args.get("view"), "modal")
        trigger = self._exchange(args.get("trigger_id"))
        self._refuse_duplicate_external_id(new)
        self._close(trigger.user, everything=True)
        return {"ok": True, "view": self._open(trigger.user, new, previous=None).view}

    def _views_push(self, args: Json) -> Json:
        new = self._view_arg("views.push", args.get("view"), "modal")
        trigger = self._exchange(args.get("trigger_id"))
        self._refuse_duplicate_external_id(new)
        return {"ok": True, "view": self._push(trigger.user, new).view}

    def _views_update(self, args: Json) -> Json:
        view = self._find_view(args.get("view_id"), args.get("external_id"))
        new = self._view_arg("views.update", args.get("view"), view.view["type"])
        self._check_hash(view, args.get("hash"))
        self._replace(view, new)
        return {"ok": True, "view": view.view}

    def _views_publish(self, args: Json) -> Json:
        user = str(args.get("user_id"))
        if user not in self.users:
            raise _SlackError("user_not_found", repr(user))
        new = self._view_arg("views.publish", args.get("view"), "home")
        home = self.home_view(user)
        if home is None:
            return {"ok": True, "view": self._open(user, new, previous=None, home=True).view}
        self._check_hash(home, args.get("hash"))
        self._replace(home, new)
        return {"ok": True, "view": home.view}

    # ---- Web API rules ---------------------------------------------------------------------

    def _check_message_args(self, args: Json) -> None:
        if not args.get("text") and not args.get("blocks"):
            raise _SlackError("no_text", "neither text nor blocks")
        problems = check_message(args.get("text"), args.get("blocks"))
        if problems:
            raise _SlackError("invalid_blocks", f"{problems}", errors=problems)

    def _view_arg(self, where: str, new: Any, kind: str) -> Json:
        if not isinstance(new, dict):
            raise _SlackError("invalid_arguments", f"{where}: view is missing")
        problems = check_view(new)
        if new.get("type") != kind:
            problems.append(f"{where} takes a {kind} view, got {new.get('type')!r}")
        if problems:
            raise _SlackError("invalid_arguments", f"{problems}", errors=problems)
        return new

    def _exchange(self, trigger_id: Any) -> _Trigger:
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise _SlackError("invalid_trigger_id", repr(trigger_id))
        if trigger.used:
            raise _SlackError("exchanged_trigger_id", f"{trigger_id} was used already")
        age = self.clock() - trigger.issued_at
        if age > TRIGGER_TTL:
            raise _SlackError("expired_trigger_id", f"{trigger_id} is {age:.1f} s old")
        trigger.used = True
        return trigger

    def _check_hash(self, view: View, given: Any) -> None:
        if given is not None and given != view.hash:
            raise _SlackError("hash_conflict", f"{view.id}: {given} is stale", violation=False)

    def _refuse_duplicate_external_id(self, new: Json) -> None:
        external_id = new.get("external_id")
        taken = (v.view.get("external_id") for v in self.views if not v.closed)
        if external_id and external_id in taken:
            raise _SlackError("duplicate_external_id", repr(external_id))

    def _find_view(self, view_id: Any, external_id: Any) -> View:
        if not view_id and not external_id:
            raise _SlackError("invalid_arguments", "view_id or external_id is required")
        matching = [
            v
            for v in self.views
            if view_id in (None, v.id) and external_id in (None, v.view.get("external_id"))
        ]
        if not matching:
            # By external_id a correct app may ask before Slack has applied the ack that set it.
            raise _SlackError(
                "not_found", f"no view {view_id or external_id!r}", violation=not external_id
            )
        # A closed view's external_id may be reused; the open one is meant.
        still_open = [v for v in matching if not v.closed]
        if not still_open:
            raise _SlackError("not_found", f"view {view_id or external_id!r} was closed")
        return still_open[-1]

    def _channel(self, given: Any) -> str:
        name = str(given or "")
        if name.startswith("#"):
            name = next((c for c, info in self.channels.items() if info["name"] == name[1:]), "")
        elif name[:1] in ("U", "D") and "U" + name[1:] in self.users:
            name = self._dm_channel("U" + name[1:])
        if name not in self.channels:
            # A correct app gets this when its configuration names a channel that is gone.
            raise _SlackError("channel_not_found", repr(given), violation=False)
        return name

    def _posted(self, args: Json) -> Message:
        """The bot's channel message at (channel, ts); ephemeral ones cannot be edited."""
        channel = self._channel(args.get("channel"))
        for message in self.messages:
            if message.channel == channel and message.ts == args.get("ts"):
                if message.ephemeral:
                    raise _SlackError("message_not_found", "ephemeral; use its response_url")
                if message.deleted:
                    raise _SlackError("message_not_found", f"{message.ts} was deleted")
                return message
        raise _SlackError("message_not_found", f"{channel} {args.get('ts')}")

    # ---- response_urls -----------------------------------------------------------------------

    async def _response_url_post(self, request: Request) -> Response:
        url_id = request.path_params["url_id"]
        raw = await request.body()
        try:
            body: Json | str = json.loads(raw)
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        self.response_posts.append(ResponsePost(url_id, body, self.clock()))
        try:
            self._respond(url_id, body)
        except _SlackError as exc:
            self.violations.append(f"response_url {url_id}: {exc}")
            return JSONResponse({"ok": False, "error": exc.error, **exc.extra}, exc.status)
        return JSONResponse({"ok": True})

    def _respond(self, url_id: str, body: Json | str) -> None:
        url = self._response_urls.get(url_id)
        if url is None:
            raise _SlackError("invalid_url", "not issued by Slack", status=404)
        if self.clock() - url.issued_at > RESPONSE_URL_TTL:
            raise _SlackError("expired_url", "older than 30 minutes", status=404)
        if url.posts >= RESPONSE_URL_USES:
            raise _SlackError("used_url", f"already posted {url.posts} times", status=404)
        url.posts += 1
        if not isinstance(body, dict):
            raise _SlackError("invalid_payload", "body is not a JSON object", status=400)
        if body.get("delete_original"):
            self._original(url).deleted = True
            return
        problems = check_message(body.get("text"), body.get("blocks"))
        if problems:
            raise _SlackError("invalid_blocks", f"{problems}", status=400, errors=problems)
        self._post_response(url, url_id, body)

    def _post_response(self, url: _ResponseUrl, url_id: str, body: Json) -> None:
        if body.get("replace_original") and url.message_ts is not None:
            original = self._original(url)
            original.text = body.get("text")
            original.blocks = self._with_block_ids(body.get("blocks") or [])
            original.state = {}
            return
        in_channel = body.get("response_type") == "in_channel"
        message = self._store(
            url.channel, body, user=None if in_channel else url.user, response_url_id=url_id
        )
        # A slash command's URL belongs to no message until its first response.
        if url.message_ts is None:
            url.message_ts = message.ts

    def _original(self, url: _ResponseUrl) -> Message:
        for message in self.messages:
            if message.channel == url.channel and message.ts == url.message_ts:
                if message.deleted:
                    raise _SlackError("message_not_found", "original was deleted", status=404)
                return message
        raise _SlackError("message_not_found", "this URL has no original message", status=404)

    # ---- state keeping ---------------------------------------------------------------------

    def _store(
        self,
        channel: str,
        args: Json,
        *,
        user: str | None = None,
        response_url_id: str | None = None,
    ) -> Message:
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=args.get("text"),
            blocks=self._with_block_ids(args.get("blocks") or []),
            user=user,
            ephemeral=user is not None,
            thread_ts=args.get("thread_ts"),
            response_url_id=response_url_id,
        )
        self.messages.append(message)
        return message

    def _open(self, user: str, new: Json, *, previous: View | None, home: bool = False) -> View:
        view_id = f"V0SBX{next(self._ids):05d}"
        root = previous.view["root_view_id"] if previous else view_id
        position = 0 if home else (previous.stack_position + 1 if previous else 1)
        view = View(id=view_id, hash="", user=user, view={}, stack_position=position)
        view.view = {"id": view_id, "root_view_id": root, "state": {"values": {}}}
        view.view["previous_view_id"] = previous.id if previous else None
        self._replace(view, new)
        self.views.append(view)
        return view

    def _push(self, user: str, new: Json) -> View:
        top = self.current_view(user)
        if top is None:
            raise _SlackError("not_found", f"{user} has no open modal to push onto")
        if top.stack_position >= VIEW_STACK_LIMIT:
            raise _SlackError("push_limit_reached", f"{VIEW_STACK_LIMIT} views are open already")
        return self._open(user, new, previous=top)

    def _replace(self, view: View, new: Json) -> None:
        """Show `new` in `view`; what was typed into inputs whose ids persist is kept."""
        blocks = self._with_block_ids(new.get("blocks") or [])
        view.hash = f"{int(self.clock())}.{secrets.token_hex(4)}"
        view.errors = None
        view.view |= {
            "team_id": self.team_id,
            "type": new.get("type"),
            "blocks": blocks,
            "private_metadata": new.get("private_metadata", ""),
            "callback_id": new.get("callback_id", ""),
            "state": {"values": _state_values(blocks, view.state)},
            "hash": view.hash,
            "title": new.get("title"),
            "clear_on_close": bool(new.get("clear_on_close")),
            "notify_on_close": bool(new.get("notify_on_close")),
            "close": new.get("close"),
            "submit": new.get("submit"),
            "app_id": APP_ID,
            "external_id": new.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }

    def _with_block_ids(self, blocks: list[Json]) -> list[Json]:
        # Slack gives every block without a block_id one of its own.
        copied = copy.deepcopy(blocks)
        for block in copied:
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = f"~{next(self._ids):x}"
        return copied

    def _issue_trigger(self, user: str) -> str:
        trigger_id = f"{next(self._ids)}.{self.team_id}.{secrets.token_hex(8)}"
        self._triggers[trigger_id] = _Trigger(user, self.clock())
        return trigger_id

    def _issue_response_url(self, user: str, channel: str, message_ts: str | None) -> str:
        url_id = f"R{next(self._ids)}{secrets.token_hex(6)}"
        self._response_urls[url_id] = _ResponseUrl(user, channel, message_ts, self.clock())
        return url_id

    def _response_url(self, url_id: str) -> str:
        return f"{self.base_url}/response/{url_id}"

    def _next_ts(self) -> str:
        micros = max(int(self.clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _dm_channel(self, user: str) -> str:
        channel = "D" + user.removeprefix("U")
        self.channels.setdefault(channel, {"id": channel, "name": user, "is_im": True})
        return channel

    # ---- payload pieces ----------------------------------------------------------------------

    def _person(self, user_id: str, name: str, real_name: str, locale: str, tz: str) -> Json:
        zone = ZoneInfo(tz)
        now = datetime.fromtimestamp(self.clock(), zone)
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "locale": locale,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(now.utcoffset().total_seconds()),  # type: ignore[union-attr]
            "profile": {"display_name": name, "real_name": real_name, "team": self.team_id},
        }

    def _user_name(self, user_id: str) -> str:
        return str(self.users.get(user_id, {}).get("name", user_id))

    def _channel_name(self, channel_id: str) -> str:
        return str(self.channels.get(channel_id, {}).get("name", channel_id))

    def _payload_user(self, user_id: str) -> Json:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _payload_team(self) -> Json:
        return {"id": self.team_id, "domain": self.team_domain}

    def _message_payload(self, message: Message) -> Json:
        payload: Json = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "ts": message.ts,
            "text": message.text or "",
            "blocks": message.blocks,
        }
        if message.thread_ts:
            payload["thread_ts"] = message.thread_ts
        return payload
