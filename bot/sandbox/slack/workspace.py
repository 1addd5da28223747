"""An emulated Slack workspace's state: people, channels, messages, views, and ids it issued."""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

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


class SlackError(Exception):
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


class Workspace:
    """What a workspace holds: people, channels, messages, views, and what was issued."""

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

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

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
