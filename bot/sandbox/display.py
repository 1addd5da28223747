"""What the demo's person sees: waiting until the app is quiet, then drawing what is new
or changed for them since they last looked."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final, TextIO

from bot.sandbox.harness import AGENT, Sandbox
from bot.sandbox.render import Control, Screen, text_of
from bot.sandbox.slack import Message, View
from bot.sandbox.terminal import Inputs

Json = dict[str, Any]
Surface = Message | View

# The app answers in the background after its ack; the screen is drawn once Slack is quiet.
QUIET: Final = 0.3
QUIET_WHEN_IDLE: Final = 0.05
SETTLE_LIMIT: Final = 10.0
POLL: Final = 0.02
LOADING: Final = ":hourglass_flowing_sand:"


class Display:
    """One person's Slack screen at a time: what they were shown, and what is new."""

    def __init__(self, sandbox: Sandbox, inputs: Inputs, out: TextIO) -> None:
        self.sandbox = sandbox
        self.slack = sandbox.slack
        self.inputs = inputs
        self.out = out
        self.user = AGENT
        # What each person has been shown: surface key -> what it looked like.
        self.seen: dict[str, dict[str, str]] = {}
        self.controls: dict[str, tuple[Surface, Control]] = {}
        self.names = {
            some_id: str(entry["name"])
            for some_id, entry in [*self.slack.users.items(), *self.slack.channels.items()]
        }
        # Tasks running now are the servers'; any other one is the app still at work.
        self.idle_tasks = asyncio.all_tasks()
        self.missed = False  # the line being handled matched nothing
        self.stopped_at: str | None = None

    # ---- waiting ----------------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until Slack has been quiet a moment and nothing on screen is still loading."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        last, quiet_since = self.activity(), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(POLL)
            now = self.activity()
            if now != last:
                last, quiet_since = now, loop.time()
                continue
            quiet = loop.time() - quiet_since
            if self.loading():
                continue
            if quiet >= QUIET or (quiet >= QUIET_WHEN_IDLE and self.app_idle()):
                return

    def activity(self) -> tuple[int, int, int]:
        # Every change a person can see comes with a Web API call or a response_url post.
        slack = self.slack
        return len(slack.calls), len(slack.response_posts), len(slack.messages)

    def app_idle(self) -> bool:
        current = asyncio.current_task()
        return all(
            task.done() or task is current or task in self.idle_tasks
            for task in asyncio.all_tasks()
        )

    def loading(self) -> bool:
        shown = [m.blocks for m in self.slack.messages if not m.deleted]
        shown += [v.view["blocks"] for v in self.slack.views if not v.closed]
        return any(is_placeholder(blocks) for blocks in shown)

    # ---- showing ----------------------------------------------------------------------------

    def draw(self) -> None:
        """Everything new or changed for this person since they last looked."""
        screen = Screen(self.names)
        controls: dict[str, tuple[Surface, Control]] = {}
        for message in self.slack.messages:
            if self.visible(message):
                self.draw_message(screen, message, controls)
        home = self.slack.home_view(self.user)
        if home is not None and self.first_look(f"view/{home.id}", view_look(home)):
            self.draw_view(screen, home, controls, "Home")
        if controls:
            self.controls = controls

    def visible(self, message: Message) -> bool:
        if message.ephemeral and message.user != self.user:
            return False
        channel = self.slack.channels.get(message.channel, {})
        return not channel.get("is_im") or channel.get("name") == self.user

    def draw_message(
        self, screen: Screen, message: Message, controls: dict[str, tuple[Surface, Control]]
    ) -> None:
        key = f"message/{message.channel}/{message.ts}"
        seen_before = key in self.seen.get(self.user, {})
        look = json.dumps([message.deleted, message.text, message.blocks], sort_keys=True)
        if not self.first_look(key, look):
            return
        if message.deleted:
            if seen_before:
                self.say(f"\n  ({self.where(message)}: a message was removed)")
            return
        self.say(f"\n── {self.where(message)}{' (updated)' if seen_before else ''} ──")
        before = set(screen.controls)
        lines = screen.blocks(message.blocks, message.state) if message.blocks else []
        for line in lines or [text_of({"type": "mrkdwn", "text": message.text}, self.names)]:
            self.say(f"  {line}")
        controls.update({k: (message, c) for k, c in screen.controls.items() if k not in before})

    def where(self, message: Message) -> str:
        channel = self.slack.channels.get(message.channel, {})
        if channel.get("is_im"):
            return "direct message from support-bot"
        name = f"#{channel.get('name', message.channel)}"
        return f"{name} · only you can see this" if message.ephemeral else name

    def draw_view(
        self,
        screen: Screen,
        view: View,
        controls: dict[str, tuple[Surface, Control]],
        title: str,
    ) -> None:
        self.say(f"\n┌─ {title} ─")
        before = set(screen.controls)
        errors = view.errors or {}
        for block in view.view["blocks"]:
            if block.get("type") == "input":
                error = errors.get(str(block.get("block_id")))
                lines = screen.input(block, view.state, error)
            else:
                lines = screen.blocks([block], view.state)
            for line in lines:
                self.say(f"│ {line}")
        buttons = [view.view.get(key) for key in ("submit", "close")]
        self.say("└─ " + "  ".join(f"[{text_of(b, self.names)}]" for b in buttons if b))
        controls.update({k: (view, c) for k, c in screen.controls.items() if k not in before})

    def first_look(self, key: str, look: str) -> bool:
        """Record what this person is shown; False when they have seen it just so."""
        seen = self.seen.setdefault(self.user, {})
        if seen.get(key) == look:
            return False
        seen[key] = look
        return True

    # ---- output -----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text.rstrip(), file=self.out, flush=True)

    def miss(self, text: str) -> None:
        self.missed = True
        self.say(text)


def view_look(view: View) -> str:
    return json.dumps([view.hash, view.errors, view.closed])


def is_placeholder(blocks: list[Json]) -> bool:
    """The app's "Looking up…"/"Saving…" stand-ins, which it replaces once it has the answer."""
    first = blocks[0] if blocks else {}
    text = str((first.get("text") or {}).get("text", ""))
    return first.get("type") == "section" and text.startswith(LOADING)
