"""`support-bot demo`: the whole product on this machine, with Slack played in a terminal.

The terminal is one person's Slack client: what it sends goes through the emulated Slack
(signed requests, trigger ids, response_urls) to the real app over HTTP, and it shows what
that person would see afterwards.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Final, TextIO

from bot.roles import Role
from bot.sandbox.display import Json, Surface
from bot.sandbox.harness import (
    AGENT,
    AGENT_ZH,
    APPROVER,
    APPROVER2,
    APPROVER_ZH,
    EDITOR,
    VIEWER,
    SettableClock,
    running_sandbox,
)
from bot.sandbox.modal_input import ModalFiller
from bot.sandbox.render import Control, confirm_lines, ticked
from bot.sandbox.slack import Message, SlackEmulatorError, View, find_element
from bot.sandbox.terminal import Inputs, ScriptInputs, TerminalInputs

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


class Console(ModalFiller):
    """One person's Slack client at a time: sends what they type, shows what they see."""

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
