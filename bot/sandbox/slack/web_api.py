"""The Web API at /api/<method>: tokens, arguments, and the methods an app calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.blockkit import check_message
from bot.sandbox.slack.views import Views
from bot.sandbox.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    ApiCall,
    Json,
    Message,
    SlackError,
)

# Methods Slack accepts only with the app-level token (xapp-), not the bot token.
_APP_LEVEL: Final = frozenset({"apps.connections.open"})
_JSON_ARGS: Final = ("blocks", "view", "attachments", "metadata")


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
        raise SlackError("invalid_json", str(exc)) from exc
    if not isinstance(body, dict):
        raise SlackError("invalid_json", "body is not a JSON object")
    return _decode_json_args(args | body)


class WebApi(Views):
    @property
    def _methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
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
                raise SlackError("unknown_method", "not emulated or not a Slack method")
            answer = handler(args)
        except SlackError as exc:
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
            raise SlackError("not_authed", "no token")
        if given != expected:
            raise SlackError("invalid_auth", "wrong token")

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
            raise SlackError("not_allowed_token_type", "Socket Mode is off", violation=False)
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
            raise SlackError("user_not_in_channel", f"user {user!r}")
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
            raise SlackError("user_not_found", repr(args.get("user")), violation=False)
        # As in Slack, the locale is there only for callers who ask for it.
        if str(args.get("include_locale")).lower() not in ("true", "1"):
            user = {k: v for k, v in user.items() if k != "locale"}
        return {"ok": True, "user": user}

    def _conversations_open(self, args: Json) -> Json:
        users = args.get("users") or ""
        wanted = users if isinstance(users, list) else str(users).split(",")
        wanted = [u.strip() for u in wanted if u.strip()]
        if len(wanted) != 1:
            raise SlackError("invalid_arguments", f"emulated for one user, got {users!r}")
        if wanted[0] not in self.users:
            raise SlackError("user_not_found", repr(wanted[0]))
        return {"ok": True, "channel": {"id": self._dm_channel(wanted[0])}}

    def _check_message_args(self, args: Json) -> None:
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text", "neither text nor blocks")
        problems = check_message(args.get("text"), args.get("blocks"))
        if problems:
            raise SlackError("invalid_blocks", f"{problems}", errors=problems)

    def _channel(self, given: Any) -> str:
        name = str(given or "")
        if name.startswith("#"):
            name = next((c for c, info in self.channels.items() if info["name"] == name[1:]), "")
        elif name[:1] in ("U", "D") and "U" + name[1:] in self.users:
            name = self._dm_channel("U" + name[1:])
        if name not in self.channels:
            # A correct app gets this when its configuration names a channel that is gone.
            raise SlackError("channel_not_found", repr(given), violation=False)
        return name

    def _posted(self, args: Json) -> Message:
        """The bot's channel message at (channel, ts); ephemeral ones cannot be edited."""
        channel = self._channel(args.get("channel"))
        for message in self.messages:
            if message.channel == channel and message.ts == args.get("ts"):
                if message.ephemeral:
                    raise SlackError("message_not_found", "ephemeral; use its response_url")
                if message.deleted:
                    raise SlackError("message_not_found", f"{message.ts} was deleted")
                return message
        raise SlackError("message_not_found", f"{channel} {args.get('ts')}")
