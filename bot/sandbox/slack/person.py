"""The person at the keyboard: typing commands, clicking, ticking, filling and submitting modals."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.blockkit import elements
from bot.sandbox.slack.acks import Acks
from bot.sandbox.slack.elements import (
    ONE_OPTION,
    PICKED,
    SlackEmulatorError,
    client_side_problem,
    entered_state,
    find_element,
    initial_state,
    state_values,
)
from bot.sandbox.slack.workspace import (
    APP_ID,
    BOT_USER_ID,
    FORM,
    VERIFICATION_TOKEN,
    Ack,
    Json,
    Message,
    View,
)


class Person(Acks):
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
        action = {**self._action_base(block_id, element), **entered_state(element, values)}
        self._keep_state(message.state, action)
        return await self._message_action(message, user_id, action)

    def fill(self, view: View, values: dict[str, Any]) -> None:
        """Type into the inputs of `view`: block_id (or action_id) → value; nothing is sent."""
        for key, value in values.items():
            block_id, element = self._input(view, key)
            entry = entered_state(element, value)
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
            "state": {"values": state_values(message.blocks, message.state)},
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
        if kind in ONE_OPTION or kind in PICKED:
            if choice is None:
                raise SlackEmulatorError(f"pick an option of {element.get('action_id')!r}")
            return action | entered_state(element, choice)
        raise SlackEmulatorError(f"cannot click a {kind} element; use tick() or fill()")

    @staticmethod
    def _keep_state(state: dict[str, dict[str, Json]], action: Json) -> None:
        if initial_state({"type": action["type"]}) is None:
            return
        entry = {k: v for k, v in action.items() if k not in ("action_id", "block_id", "action_ts")}
        state.setdefault(str(action["block_id"]), {})[str(action["action_id"])] = entry

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
            problem = client_side_problem(block, element, entry or {})
            if problem:
                raise SlackEmulatorError(f"input {block.get('block_id')!r}: {problem}")
