"""Block Kit as terminal text, for the demo: what a person would read and what they can press.

Pure: blocks, client-side state and display names in; lines and numbered controls out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import ascii_lowercase
from typing import Any, Final

Json = dict[str, Any]
State = Mapping[str, Mapping[str, Json]]

EMOJI: Final = {
    "alarm_clock": "⏰",
    "gear": "⚙️",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "inbox_tray": "📥",
    "information_source": "ℹ️",
    "leftwards_arrow_with_hook": "↩️",
    "lock": "🔒",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "sparkles": "✨",
    "warning": "⚠️",
    "wastebasket": "🗑️",
    "white_check_mark": "✅",
    "x": "❌",
}
FIELD_WIDTH: Final = 38

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_EMOJI_CODE = re.compile(r":([a-z0-9_+-]+):")
# Markers only count at word edges, so ids like u2_601993_15cd keep their underscores; an
# invisible WORD JOINER (U+2060) beside a marker is no edge, as for Slack it is no space.
_WJ = "\u2060"
_STYLES = [
    re.compile(rf"(?<![\w{m}{_WJ}]){m}(?=[^\s{_WJ}])([^{m}\n]+?)(?<=[^\s{_WJ}]){m}(?![\w{m}{_WJ}])")
    for m in (r"\*", "_", "~")
]
# Nothing is styled inside a code span (shown with its backticks, as in the transcript).
_CODE_SPAN = re.compile(rf"(?<!{_WJ})`(?:{_WJ}`{_WJ}|[^`\n])+?(?<!{_WJ})`(?!{_WJ})")
# A code span is held out of styling as a private-use placeholder, then put back.
_HELD = re.compile("\ue000([0-9]+)\ue001")
_MENU_TYPES: Final = frozenset({"overflow", "static_select", "radio_buttons"})


@dataclass(frozen=True)
class Control:
    """Something a person can press or tick: an element, and which of its options."""

    element: Json
    option: Json | None = None

    @property
    def action_id(self) -> str:
        return str(self.element.get("action_id"))


def readable(mrkdwn: str, names: Mapping[str, str]) -> str:
    """mrkdwn as a person reads it: mentions named, dates shown, styling and escapes gone."""
    text = _LINK.sub(lambda match: _link(match[1], match[2], names), mrkdwn)
    text = _EMOJI_CODE.sub(lambda match: EMOJI.get(match[1], match[0]), text)
    spans: list[str] = []

    def hold(span: re.Match[str]) -> str:
        spans.append(span[0])
        return f"\ue000{len(spans) - 1}\ue001"

    text = _unstyled(_CODE_SPAN.sub(hold, text))
    text = _HELD.sub(lambda held: spans[int(held[1])], text).replace(_WJ, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unstyled(text: str) -> str:
    for style in _STYLES:
        text = style.sub(r"\1", text)
    return text


def _link(target: str, label: str | None, names: Mapping[str, str]) -> str:
    if target[:1] in "@#":
        return target[0] + (label or names.get(target[1:], target[1:]))
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + target[1:]
    return f"{label} ({target})" if label else target


def text_of(node: Json | None, names: Mapping[str, str]) -> str:
    """A text object's words; plain_text is shown as typed, mrkdwn made readable."""
    if not node:
        return ""
    text = str(node.get("text", ""))
    if node.get("type") == "mrkdwn":
        return readable(text, names)
    return _EMOJI_CODE.sub(lambda match: EMOJI.get(match[1], match[0]), text)


def input_value(block: Json, state: State) -> str | None:
    """What an input block holds now (typed, picked, or its initial value) as display text."""
    element = block.get("element") or {}
    entry = state.get(str(block.get("block_id")), {}).get(str(element.get("action_id")))
    if entry is None:
        return None
    option = entry.get("selected_option")
    if option:
        return str(option["text"]["text"])
    picked = [o["text"]["text"] for o in entry.get("selected_options") or []]
    if picked:
        return ", ".join(picked)
    values = [v for k, v in entry.items() if k not in ("type", "selected_options") and v]
    return str(values[0]) if values else None


def options_of(element: Json) -> list[Json]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def ticked(element: Json, block_state: Mapping[str, Json]) -> list[str]:
    """The values ticked in a checkboxes element: as the person left them, else as drawn."""
    entry = block_state.get(str(element.get("action_id")))
    chosen = entry["selected_options"] if entry else element.get("initial_options") or []
    return [str(option.get("value")) for option in chosen]


def confirm_lines(confirm: Json, names: Mapping[str, str]) -> list[str]:
    """A confirm dialog: its title, its question, and the two answers."""
    yes = text_of(confirm.get("confirm"), names) or "Yes"
    no = text_of(confirm.get("deny"), names) or "Cancel"
    return [
        f"┌ {text_of(confirm.get('title'), names)}",
        *(f"│ {line}" for line in text_of(confirm.get("text"), names).splitlines()),
        f"└ [y] {yes}  [n] {no}",
    ]


class Screen:
    """One batch of output: blocks rendered in order, controls numbered from 1 across them."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        # What the person types (1, 2b) -> what it presses.
        self.controls: dict[str, Control] = {}
        self._number = 0

    def blocks(self, blocks: list[Json], state: State) -> list[str]:
        return [line for block in blocks for line in self._block(block, state)]

    def _block(self, block: Json, state: State) -> list[str]:
        kind = block.get("type")
        if kind == "header":
            return [f"== {text_of(block.get('text'), self.names)} =="]
        if kind == "section":
            return self._section(block, state)
        if kind == "context":
            parts = [
                text_of(e, self.names) or f"[{e.get('alt_text', 'image')}]"
                for e in _elements(block)
            ]
            return [f"  · {'  '.join(parts)}"]
        if kind == "divider":
            return ["  " + "─" * 40]
        if kind == "actions":
            return ["  " + "  ".join(self._element(block, e, state) for e in _elements(block))]
        if kind == "input":
            return self.input(block, state)
        if kind == "image":
            return [f"[image: {block.get('alt_text', '')}]"]
        return [f"[a {kind} block]"]

    def _section(self, block: Json, state: State) -> list[str]:
        lines = text_of(block.get("text"), self.names).splitlines()
        if block.get("fields"):
            lines.insert(0, "")  # a record card stands apart from what comes before it
        lines += _columns([self._field(f) for f in block.get("fields") or []])
        if isinstance(block.get("accessory"), dict):
            lines.append("  " + self._element(block, block["accessory"], state))
        return lines

    def _field(self, node: Json) -> str:
        label, _, value = text_of(node, self.names).partition("\n")
        return f"{label}: {value.replace(chr(10), ' ')}" if value else label

    def input(self, block: Json, state: State, error: str | None = None) -> list[str]:
        """A modal field: label, what it holds (or its placeholder), hint and error."""
        element = block.get("element") or {}
        label = text_of(block.get("label"), self.names)
        if block.get("optional"):
            label += " (optional)"
        shown = input_value(block, state)
        if shown is None:
            shown = f"({text_of(element.get('placeholder'), self.names) or 'empty'})"
        lines = [f"▸ {label}: {shown}"]
        if block.get("hint"):
            lines.append(f"    {text_of(block['hint'], self.names)}")
        if error:
            lines.append(f"  ! {error}")
        return lines

    def _element(self, block: Json, element: Json, state: State) -> str:
        kind = element.get("type")
        block_id = str(block.get("block_id"))
        if kind == "button":
            label = self._label()
            self.controls[label] = Control(element)
            return f"[{label}] {text_of(element.get('text'), self.names)}"
        if kind in _MENU_TYPES:
            return self._menu(block_id, element, state)
        if kind == "checkboxes":
            return self._boxes(block_id, element, state)
        if kind == "image":
            return f"[{element.get('alt_text', 'image')}]"
        return f"[a {kind}]"

    def _menu(self, block_id: str, element: Json, state: State) -> str:
        number = self._label()
        choices = []
        for letter, option in zip(ascii_lowercase, options_of(element), strict=False):
            label = number + letter
            self.controls[label] = Control(element, option)
            choices.append(f"[{label}] {text_of(option.get('text'), self.names)}")
        current = input_value({"block_id": block_id, "element": element}, state)
        lead = "⋯" if element.get("type") == "overflow" else f"{current or 'choose'} ▾"
        return f"{lead} {'  '.join(choices)}"

    def _boxes(self, block_id: str, element: Json, state: State) -> str:
        options = options_of(element)
        ticked_values = set(ticked(element, state.get(block_id, {})))
        number = self._label()
        shown = []
        for letter, option in zip(ascii_lowercase, options, strict=False):
            label = number if len(options) == 1 else number + letter
            self.controls[label] = Control(element, option)
            box = "☑" if option.get("value") in ticked_values else "☐"
            text = text_of(option.get("text"), self.names)
            if option.get("description"):
                text += f" — {text_of(option['description'], self.names)}"
            shown.append(f"[{label}] {box} {text}")
        return "  ".join(shown)

    def _label(self) -> str:
        self._number += 1
        return str(self._number)


def _elements(block: Json) -> list[Json]:
    return [e for e in block.get("elements") or [] if isinstance(e, dict)]


def _columns(fields: list[str]) -> list[str]:
    """Fields two to a line, as Slack lays them out, unless one is too wide to share."""
    lines = []
    for start in range(0, len(fields), 2):
        pair = fields[start : start + 2]
        if len(pair) == 2 and len(pair[0]) < FIELD_WIDTH:
            lines.append(f"  {pair[0].ljust(FIELD_WIDTH)}{pair[1]}")
        else:
            lines += [f"  {field}" for field in pair]
    return lines
