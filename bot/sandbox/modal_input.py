"""The demo's modals: each field asked for in turn, then submitted; again while Slack shows
errors on it."""

from __future__ import annotations

from typing import Any, Final

from bot.sandbox.display import Display, Json, Surface, view_look
from bot.sandbox.render import Control, Screen, input_value, options_of, text_of
from bot.sandbox.slack import SlackEmulatorError, View

_MENUS: Final = frozenset({"static_select", "radio_buttons", "external_select"})
_MANY: Final = frozenset({"checkboxes", "multi_static_select"})


class ModalFiller(Display):
    """Works the modal on screen through the person's typed answers."""

    async def show(self) -> None:
        """What the last line did, once Slack is quiet; then the modal it opened, if any."""
        await self.settle()
        self.draw()
        await self.work_modal()

    async def work_modal(self) -> None:
        """Show the modal that opened, ask for its fields, submit; again while it has errors."""
        view = self.slack.current_view(self.user)
        while view is not None and (
            view.errors or self.first_look(f"view/{view.id}", view_look(view))
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
