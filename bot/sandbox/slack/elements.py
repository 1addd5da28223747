"""Block Kit elements as a person uses them: finding one, what it holds, what was entered."""

from __future__ import annotations

from typing import Any, Final

from bot.sandbox.blockkit import elements

Json = dict[str, Any]

TEXT_INPUTS: Final = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
)
ONE_OPTION: Final = frozenset({"static_select", "radio_buttons", "overflow", "external_select"})
MANY_OPTIONS: Final = frozenset({"checkboxes", "multi_static_select", "multi_external_select"})
PICKED: Final = {
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
}


class SlackEmulatorError(Exception):
    """The driver was asked for something a person could not do in Slack."""


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


def initial_state(element: Json) -> Json | None:
    kind = element.get("type")
    if kind == "overflow":  # a menu of commands: nothing stays picked
        return None
    if kind in TEXT_INPUTS:
        return {"type": kind, "value": element.get("initial_value")}
    if kind in ONE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in MANY_OPTIONS:
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind in PICKED:
        key, initial = PICKED[kind]
        return {"type": kind, key: element.get(initial)}
    return None


def entered_state(element: Json, value: Any) -> Json:
    """The state entry after a person enters `value` into `element`."""
    kind = element.get("type")
    if kind in TEXT_INPUTS:
        return {"type": kind, "value": None if value in (None, "") else str(value)}
    if kind in ONE_OPTION:
        return {"type": kind, "selected_option": _chosen(element, value) if value else None}
    if kind in MANY_OPTIONS:
        return {"type": kind, "selected_options": [_chosen(element, v) for v in value or []]}
    if kind in PICKED:
        return {"type": kind, PICKED[kind][0]: value}
    raise SlackEmulatorError(f"cannot enter a value into a {kind} element")


def _chosen(element: Json, value: str) -> Json:
    option = _option(element, value)
    if option is None:
        raise SlackEmulatorError(f"{element.get('action_id')!r} has no option {value!r}")
    return option


def state_values(blocks: list[Json], kept: dict[str, dict[str, Json]]) -> Json:
    """Every stateful element's current value: what the person picked, else its initial one."""
    values: dict[str, dict[str, Json]] = {}
    for block in blocks:
        block_id = str(block.get("block_id"))
        for element in elements(block):
            action_id = str(element.get("action_id"))
            entry = kept.get(block_id, {}).get(action_id) or initial_state(element)
            if entry is not None:
                values.setdefault(block_id, {})[action_id] = entry
    return values


def _is_empty(entry: Json) -> bool:
    picked = [v for k, v in entry.items() if k != "type"]
    return all(v in (None, "", []) for v in picked)


def client_side_problem(block: Json, element: Json, entry: Json) -> str | None:
    if _is_empty(entry):
        return None if block.get("optional") else "required, but empty"
    length = len(str(entry.get("value") or ""))
    if length < int(element.get("min_length") or 0):
        return f"{length} chars, min_length is {element['min_length']}"
    if length > int(element.get("max_length") or 3000):
        return f"{length} chars, max_length is {element.get('max_length', 3000)}"
    return None
