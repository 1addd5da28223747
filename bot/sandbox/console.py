"""`support-bot demo`: the whole product on this machine, with Slack played in a terminal.

The terminal is one person's Slack client: what it sends goes through the emulated Slack
(signed requests, trigger ids, response_urls) to the real app over HTTP, and it shows what
that person would see afterwards.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

from bot.roles import Role
from bot.sandbox.harness import (
    AGENT,
    AGENT_ZH,
    APPROVER,
    APPROVER2,
    APPROVER_ZH,
    EDITOR,
    VIEWER,
    Sandbox,
    SettableClock,
    running_sandbox,
)
from bot.sandbox.render import (
    Control,
    Screen,
    confirm_lines,
    input_value,
    options_of,
    text_of,
    ticked,
)
from bot.sandbox.slack import Message, SlackEmulatorError, View, find_element

Json = dict[str, Any]
Surface = Message | View

# As manifest.yml declares them; Slack answers any other command itself, never the app.
COMMANDS: Final = ("/binding", "/uc")
PEOPLE: Final = {
    "agent": AGENT,
    "editor": EDITOR,
    "approver": APPROVER,
    "approver2": APPROVER2,
    "viewer": VIEWER,
    "agent_zh": AGENT_ZH,
    "approver_zh": APPROVER_ZH,
}
# The app answers in the background after its ack; the screen is drawn once Slack is quiet.
QUIET: Final = 0.3
QUIET_WHEN_IDLE: Final = 0.05
SETTLE_LIMIT: Final = 10.0
POLL: Final = 0.02
LOADING: Final = ":hourglass_flowing_sand:"
_MENUS: Final = frozenset({"static_select", "radio_buttons", "external_select"})
_MANY: Final = frozenset({"checkboxes", "multi_static_select"})

HELP: Final = """\
Type slash commands as in Slack, for example:
  /binding 30851821          /binding add          /binding delete 30851821 dd
  /uc list user=998          /uc add               /uc delete 998 1001,1002
Press a button by its number (1), a menu option by number and letter (2b), tick a box by
its number (3) or several with `tick 3 5 7`. A confirm dialog asks y/n.
A modal asks for its fields in turn: Enter keeps what is shown, `-` empties a field,
`/cancel` closes the modal.
  home           open the app's Home tab
  close          close the modal on screen
  /as approver   act as someone else: agent, editor, approver, approver2, viewer,
                 agent_zh or approver_zh (these two read Chinese)
  help           this text
  quit           leave"""


class Inputs(Protocol):
    async def ask(self, prompt: str) -> str | None:
        """The next line typed after `prompt`, or None when there is no more input."""
        ...

    def where(self) -> str | None:
        """Where the last line came from, for a script (which stops at a line that failed)."""
        ...


class ScriptInputs:
    """Replays a file's lines as if typed, echoing each after its prompt (the transcript)."""

    def __init__(self, text: str, out: TextIO) -> None:
        self._lines: Iterator[tuple[int, str]] = (
            (number, line)
            for number, line in enumerate(text.splitlines(), start=1)
            if not line.lstrip().startswith("#")
        )
        self._out = out
        self._number = 0

    async def ask(self, prompt: str) -> str | None:
        self._number, line = next(self._lines, (self._number, None))
        if line is not None:
            print(f"{prompt}{line}", file=self._out)
        return line

    def where(self) -> str | None:
        return f"line {self._number}"


class TerminalInputs:
    """Lines from a person, read on a daemon thread so the app keeps running meanwhile."""

    def __init__(self, inp: TextIO, out: TextIO) -> None:
        self._out = out
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in inp:
                loop.call_soon_threadsafe(self._lines.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

        # A daemon thread, so leaving is not held up by a read that never returns.
        threading.Thread(target=pump, name="demo-input", daemon=True).start()
        # The sandbox's uvicorn servers each took SIGINT for themselves; Ctrl-C means leave.
        loop.add_signal_handler(signal.SIGINT, self._lines.put_nowait, None)

    def where(self) -> str | None:
        return None  # a person sees what failed and types again

    async def ask(self, prompt: str) -> str | None:
        print(prompt, end="", file=self._out, flush=True)
        line = await self._lines.get()
        if line is None:
            print(file=self._out)  # end of input: the shell's prompt starts on its own line
        return line


# `demo --script` exit codes: the app broke a Slack rule; the script cannot be read; a line
# of it matched nothing (what follows it would act on the wrong thing).
BROKE_A_RULE: Final = 1
UNREADABLE: Final = 2
UNMATCHED: Final = 3


def main(script: str | None) -> int:
    """`support-bot demo [--script FILE]`."""
    try:
        return asyncio.run(run_demo(script))
    except KeyboardInterrupt:
        return 130


async def run_demo(
    script: str | None = None,
    *,
    out: TextIO = sys.stdout,
    inp: TextIO = sys.stdin,
    err: TextIO = sys.stderr,
) -> int:
    """Play Slack for one person at a time; the exit code says what went wrong, if anything."""
    replayed = None
    if script is not None:
        try:
            replayed = _read(script)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            print(f"support-bot: demo: cannot read the script {script}: {reason}", file=err)
            return UNREADABLE
    with tempfile.TemporaryDirectory(prefix="support-bot-demo-") as directory:
        async with running_sandbox(
            Path(directory) / "demo.db", extra_relations=45, clock=SettableClock(ticking=True)
        ) as sandbox:
            inputs: Inputs = (
                ScriptInputs(replayed, out) if replayed is not None else TerminalInputs(inp, out)
            )
            console = Console(sandbox, inputs, out)
            await console.run()
            if console.report_violations():
                return BROKE_A_RULE
            if console.stopped_at is not None:
                print(f"support-bot: demo: {script} {console.stopped_at}", file=err)
                return UNMATCHED
            return 0


def _read(script: str) -> str:
    return Path(script).read_text(encoding="utf-8")


class Console:
    """One person's Slack client at a time: sends what they type, shows what they see."""

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

    # ---- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        self.say(
            "support-bot demo: the real app over HTTP, an emulated Slack workspace, and emulated"
            " bangwo8 and UserCustomer backends with sample data. Type `help` to see what you can do."
        )
        self.say(self.whoami())
        while (line := await self.inputs.ask(f"{self.name}> ")) is not None:
            line = line.strip()
            if line in ("quit", "exit"):
                return
            self.missed = False
            try:
                await self.handle(line)
                await self.show()
            except SlackEmulatorError as error:
                self.say(f"! {error}")
            if self.missed and (where := self.inputs.where()) is not None:
                self.stopped_at = f"{where}: {line!r} matched nothing"
                return

    async def handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if not line:
            return
        if line == "help":
            self.say(HELP)
        elif word == "/as":
            self.switch(rest.strip())
        elif word in COMMANDS:
            await self.slack.slash_command(word, rest.strip(), user_id=self.user)
        elif line.startswith("/"):
            self.miss(f"? {word} is not a valid command; the app has {' and '.join(COMMANDS)}")
        elif word == "tick":
            # Each tick redraws the message; the next waits for that, one drawing shows all.
            for label in rest.replace(",", " ").split():
                await self.press(label)
                await self.settle()
        elif line == "home":
            await self.slack.open_home(self.user)
        elif line == "close":
            await self.close_modal()
        else:
            await self.press(line)

    def report_violations(self) -> bool:
        if not self.slack.violations:
            return False
        self.say("Slack rules the app broke:")
        for violation in self.slack.violations:
            self.say(f"- {violation}")
        return True

    # ---- people -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.names.get(self.user, self.user)

    def whoami(self) -> str:
        roles = self.sandbox.deps.roles
        role = next((r for r in (Role.APPROVER, Role.EDITOR) if roles.allows(self.user, r)), None)
        return f"You are {self.name} ({self.user}, {role.value if role else 'look up only'})."

    def switch(self, who: str) -> None:
        user = PEOPLE.get(who.lower(), who.upper())
        if user not in self.slack.users:
            self.miss(f"? who is {who!r}? One of: {', '.join(PEOPLE)}")
            return
        self.user = user
        # The numbers on screen were the other person's: they may not see those messages.
        self.controls = {}
        self.say(self.whoami())

    # ---- pressing ---------------------------------------------------------------------------

    async def press(self, label: str) -> None:
        if label not in self.controls:
            self.miss(f"? {label!r} is not a command nor a number on screen; type `help`")
            return
        surface, control = self.controls[label]
        if control.element.get("type") == "checkboxes":
            await self.toggle(surface, control)
            return
        confirm = control.element.get("confirm")
        if confirm and not await self.confirmed(confirm):
            self.say("  (cancelled)")
            return
        choice = (control.option or {}).get("value")
        if isinstance(surface, View):
            await self.slack.click_in_view(
                surface,
                control.action_id,
                value=control.element.get("value"),
                selected_option_value=choice,
                user_id=self.user,
            )
        else:
            await self.slack.click(
                surface,
                control.action_id,
                value=control.element.get("value"),
                selected_option_value=choice,
                user_id=self.user,
            )

    async def confirmed(self, confirm: Json) -> bool:
        for line in confirm_lines(confirm, self.names):
            self.say(f"  {line}")
        answer = await self.inputs.ask("  y/n: ")
        return (answer or "").strip().lower() in ("y", "yes")

    async def toggle(self, surface: Surface, control: Control) -> None:
        if not isinstance(surface, Message):
            raise SlackEmulatorError("tick boxes in modals are filled in with their field")
        block_id, element = find_element(surface.blocks, control.action_id)
        values = ticked(element, surface.state.get(str(block_id), {}))
        value = str((control.option or {}).get("value"))
        values = [v for v in values if v != value] if value in values else [*values, value]
        await self.slack.tick(surface, control.action_id, values, user_id=self.user)

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
        return any(_is_placeholder(blocks) for blocks in shown)

    # ---- showing ----------------------------------------------------------------------------

    async def show(self) -> None:
        await self.settle()
        self.draw()
        await self.work_modal()

    def draw(self) -> None:
        """Everything new or changed for this person since they last looked."""
        screen = Screen(self.names)
        controls: dict[str, tuple[Surface, Control]] = {}
        for message in self.slack.messages:
            if self.visible(message):
                self.draw_message(screen, message, controls)
        home = self.slack.home_view(self.user)
        if home is not None and self.first_look(f"view/{home.id}", _view_look(home)):
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

    # ---- modals -----------------------------------------------------------------------------

    async def work_modal(self) -> None:
        """Show the modal that opened, ask for its fields, submit; again while it has errors."""
        view = self.slack.current_view(self.user)
        while view is not None and (
            view.errors or self.first_look(f"view/{view.id}", _view_look(view))
        ):
            controls: dict[str, tuple[Surface, Control]] = {}
            self.draw_view(
                Screen(self.names), view, controls, text_of(view.view["title"], self.names)
            )
            if controls:
                self.controls = controls
            if not _inputs(view, None):
                if not controls:
                    await self.close_modal()
                return
            if not await self.fill_and_submit(view):
                await self.close_modal()
                return
            await self.settle()
            self.draw()
            view = self.slack.current_view(self.user)

    async def fill_and_submit(self, view: View) -> bool:
        """Ask for the fields (those with errors, if any), then submit; False if abandoned."""
        fields = _inputs(view, view.errors)
        while await self.fill(view, fields):
            self.say(f"  → {text_of(view.view.get('submit'), self.names)}")
            try:
                await self.slack.submit_view(view, user_id=self.user)
            except SlackEmulatorError as refused:
                # Slack's client checks lengths itself and does not send the submission.
                self.say(f"  ! {refused}")
                fields = _inputs(view, None)
                continue
            return True
        return False

    async def close_modal(self) -> None:
        view = self.slack.current_view(self.user)
        if view is None:
            self.miss("? no modal is open")
            return
        await self.slack.close_view(view, user_id=self.user)
        self.say("  (modal closed)")

    async def fill(self, view: View, blocks: list[Json]) -> bool:
        """Ask for each field in turn; False when the person cancels or input runs out."""
        for block in blocks:
            while True:
                answer = await self.inputs.ask(self.prompt(view, block))
                if answer is None or answer.strip() == "/cancel":
                    return False
                problem = self.enter(view, block, answer.strip())
                if problem is None:
                    break
                self.say(f"  ! {problem}")
        return True

    def prompt(self, view: View, block: Json) -> str:
        element = block.get("element") or {}
        label = text_of(block.get("label"), self.names)
        if block.get("optional"):
            label += " (optional)"
        options = [text_of(o["text"], self.names) for o in options_of(element)]
        if options:
            label += f" ({', '.join(f'{n} {o}' for n, o in enumerate(options, start=1))})"
        current = input_value(block, view.state)
        return f"  {label}{f' [{current}]' if current else ''}: "

    def enter(self, view: View, block: Json, answer: str) -> str | None:
        """Put the answer into the field; the problem with it, if any."""
        element = block.get("element") or {}
        if not answer:
            if input_value(block, view.state) or block.get("optional"):
                return None
            return "required"
        value: Any = None if answer == "-" else answer
        kind = element.get("type")
        if value is not None and kind in _MENUS | _MANY:
            picked = [_pick(element, part.strip()) for part in answer.split(",")]
            if None in picked:
                return f"pick from 1 to {len(options_of(element))}"
            value = picked if kind in _MANY else picked[0]
        if value is None and not block.get("optional"):
            return "required"
        try:
            self.slack.fill(view, {str(block["block_id"]): value})
        except SlackEmulatorError as error:
            return str(error)
        return None

    # ---- output -----------------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text.rstrip(), file=self.out, flush=True)

    def miss(self, text: str) -> None:
        self.missed = True
        self.say(text)


def _view_look(view: View) -> str:
    return json.dumps([view.hash, view.errors, view.closed])


def _inputs(view: View, only: dict[str, str] | None) -> list[Json]:
    """The view's input blocks; only those named in `only` when it names any."""
    inputs = [b for b in view.view["blocks"] if b.get("type") == "input"]
    return [b for b in inputs if not only or b.get("block_id") in only]


def _pick(element: Json, answer: str) -> str | None:
    """An option's value from its number, its value or its label."""
    for number, option in enumerate(options_of(element), start=1):
        label = str(option["text"]["text"])
        if answer in (str(number), option.get("value")) or answer.lower() == label.lower():
            return str(option.get("value"))
    return None


def _is_placeholder(blocks: list[Json]) -> bool:
    """The app's "Looking up…"/"Saving…" stand-ins, which it replaces once it has the answer."""
    first = blocks[0] if blocks else {}
    text = str((first.get("text") or {}).get("text", ""))
    return first.get("type") == "section" and text.startswith(LOADING)
