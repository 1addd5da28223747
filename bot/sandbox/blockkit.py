"""Block Kit rules Slack enforces when a message or view is published.

Each check returns human-readable violations; an empty list means Slack would accept it.
slack_sdk's models validate part of Block Kit (they raise only in `to_dict()`); the rest
of Slack's published limits, and our own rule that nothing may ping a channel, are
checked here by walking the raw dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

Surface = Literal["message", "modal", "home"]
Json = dict[str, Any]

MAX_BLOCKS: Final[dict[str, int]] = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT: Final = 40_000

_SPECIAL_MENTION: Final = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>")
_TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})
_ELEMENT_TYPES: Final = frozenset(
    {
        "button",
        "channels_select",
        "checkboxes",
        "conversations_select",
        "datepicker",
        "datetimepicker",
        "email_text_input",
        "external_select",
        "file_input",
        "image",
        "multi_channels_select",
        "multi_conversations_select",
        "multi_external_select",
        "multi_static_select",
        "multi_users_select",
        "number_input",
        "overflow",
        "plain_text_input",
        "radio_buttons",
        "rich_text_input",
        "static_select",
        "timepicker",
        "url_text_input",
        "users_select",
        "workflow_button",
    }
)
_MAX_OPTIONS: Final = {"checkboxes": 10, "radio_buttons": 10}
# What slack_sdk's model constructors and validators raise on malformed input.
_SDK_ERRORS: Final = (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError)


def check_message(text: str | None, blocks: list[Json] | None) -> list[str]:
    """Violations of a message's top-level `text` and its `blocks`."""
    if not text and not blocks:
        return ["message has neither text nor blocks"]
    errors = check_text(text)
    if blocks is not None:
        errors += check_blocks(blocks, surface="message")
    return errors


def check_text(text: str | None) -> list[str]:
    """The top-level `text` of a message is mrkdwn and is what notifications show."""
    if text is None:
        return []
    errors = []
    if len(text) > MAX_MESSAGE_TEXT:
        errors.append(f"text: {len(text)} chars, more than {MAX_MESSAGE_TEXT}")
    errors += _mention_errors("text", text)
    return errors


def check_view(view: Json) -> list[str]:
    """Violations of a modal or Home tab view, its blocks included."""
    errors = _sdk_view_errors(view)
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [*errors, f"view: type {kind!r} is neither 'modal' nor 'home'"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*errors, "view: blocks must be a list"]
    if kind == "modal":
        errors += _modal_errors(view, blocks)
    return errors + check_blocks(blocks, surface=kind)


def check_blocks(blocks: list[Json], *, surface: Surface) -> list[str]:
    """Violations of a list of blocks published on `surface`."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    errors = []
    if len(blocks) > MAX_BLOCKS[surface]:
        errors.append(f"blocks: {len(blocks)} blocks, a {surface} allows {MAX_BLOCKS[surface]}")
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            errors.append(f"{where}: not an object")
            continue
        errors += _sdk_block_errors(where, block)
        errors += _block_errors(where, block)
    return errors + _duplicates(
        "block_id", [b.get("block_id") for b in blocks if isinstance(b, dict)]
    )


def elements(block: Json) -> list[Json]:
    """The elements a block holds: a section's accessory, an input's element, actions' list."""
    found: list[Any] = []
    if "accessory" in block:
        found.append(block["accessory"])
    if "element" in block:
        found.append(block["element"])
    if block.get("type") in ("actions", "context") and isinstance(block.get("elements"), list):
        found += block["elements"]
    return [e for e in found if isinstance(e, dict)]


def _sdk_block_errors(where: str, block: Json) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{where}: unknown block type {block.get('type')!r}"]
        parsed.to_dict()
    except _SDK_ERRORS as exc:
        return [f"{where} ({block.get('type')}): {exc}"]
    return []


def _sdk_view_errors(view: Json) -> list[str]:
    # The view's own validators only: check_blocks reports every bad block, where
    # to_dict() would raise on the first.
    try:
        View(**view).validate_json()
    except _SDK_ERRORS as exc:
        return [f"view: {exc}"]
    return []


def _modal_errors(view: Json, blocks: list[Any]) -> list[str]:
    errors = []
    if not view.get("title"):
        errors.append("view: a modal needs a title")
    for key in ("title", "submit", "close"):
        if view.get(key) is not None and _text_type(view[key]) != "plain_text":
            errors.append(f"view.{key}: must be plain_text")
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and not view.get("submit"):
        errors.append("view: a modal with input blocks needs a submit button")
    return errors


def _block_errors(where: str, block: Json) -> list[str]:
    errors = _text_object_errors(where, block)
    kind = block.get("type")
    if kind == "section":
        errors += _section_errors(where, block)
    elif kind == "header" and _text_type(block.get("text")) != "plain_text":
        errors.append(f"{where}.text: a header's text must be plain_text")
    elif kind == "input" and _text_type(block.get("label")) != "plain_text":
        errors.append(f"{where}.label: must be plain_text")
    if kind == "context":
        errors += _context_errors(where, block)
    else:
        for index, element in enumerate(elements(block)):
            errors += _element_errors(f"{where}.element[{index}]", element)
    action_ids = [e.get("action_id") for e in elements(block)]
    return errors + _duplicates(f"{where}: action_id", action_ids)


def _section_errors(where: str, block: Json) -> list[str]:
    fields = block.get("fields") or []
    return [
        f"{where}.fields[{index}]: {len(text)} chars, more than 2000"
        for index, field in enumerate(fields)
        if len(text := _text(field)) > 2000
    ]


def _context_errors(where: str, block: Json) -> list[str]:
    allowed = {"image", *_TEXT_TYPES}
    return [
        f"{where}.elements[{index}]: {element.get('type')!r} not allowed in context"
        for index, element in enumerate(elements(block))
        if element.get("type") not in allowed
    ]


def _element_errors(where: str, element: Json) -> list[str]:
    kind = element.get("type")
    if kind not in _ELEMENT_TYPES:
        return [f"{where}: unknown element type {kind!r}"]
    errors = _option_errors(where, element)
    if kind == "button" and _text_type(element.get("text")) != "plain_text":
        errors.append(f"{where}.text: a button's text must be plain_text")
    if kind == "plain_text_input":
        errors += _text_input_errors(where, element)
    return errors


def _option_errors(where: str, element: Json) -> list[str]:
    kind = str(element.get("type"))
    options = _options(element)
    errors = []
    if kind in _MAX_OPTIONS and len(options) > _MAX_OPTIONS[kind]:
        errors.append(f"{where}: {len(options)} options, {kind} allows {_MAX_OPTIONS[kind]}")
    for index, option in enumerate(options):
        if not isinstance(option.get("text"), dict):
            errors.append(f"{where}.options[{index}]: an option needs a text object")
        if len(_text(option.get("description"))) > 75:
            errors.append(f"{where}.options[{index}].description: more than 75 chars")
        if kind == "overflow":
            errors += _sdk_option_errors(f"{where}.options[{index}]", option)
    return errors + _initial_option_errors(where, element, options)


def _initial_option_errors(where: str, element: Json, options: list[Json]) -> list[str]:
    # An external select's options come from the app at run time: any initial one goes.
    if not options:
        return []
    initial = list(element.get("initial_options") or [])
    if element.get("initial_option"):
        initial.append(element["initial_option"])
    values = {o.get("value") for o in options}
    return [
        f"{where}: initial option {o.get('value')!r} is not one of the options"
        for o in initial
        if isinstance(o, dict) and o.get("value") not in values
    ]


def _sdk_option_errors(where: str, option: Json) -> list[str]:
    # slack_sdk keeps an overflow's options as plain dicts, so its model never checks them.
    try:
        Option(**option).to_dict()
    except _SDK_ERRORS as exc:
        return [f"{where}: {exc}"]
    return []


def _text_input_errors(where: str, element: Json) -> list[str]:
    errors = []
    max_length = element.get("max_length")
    min_length = element.get("min_length")
    initial = element.get("initial_value")
    if max_length is not None and not 1 <= max_length <= 3000:
        errors.append(f"{where}.max_length: {max_length}, must be 1..3000")
    if min_length is not None and not 0 <= min_length <= 3000:
        errors.append(f"{where}.min_length: {min_length}, must be 0..3000")
    if max_length is not None and min_length is not None and min_length > max_length:
        errors.append(f"{where}: min_length {min_length} > max_length {max_length}")
    if isinstance(initial, str) and max_length is not None and len(initial) > max_length:
        errors.append(f"{where}.initial_value: {len(initial)} chars, max_length is {max_length}")
    return errors


def _text_object_errors(where: str, block: Json) -> list[str]:
    errors = []
    for path, node in _walk(block, where):
        kind = node.get("type")
        if kind == "broadcast":
            errors.append(f"{path}: rich_text broadcast @{node.get('range')} pings a channel")
        if kind not in _TEXT_TYPES or "text" not in node:
            continue
        text = node["text"]
        if not isinstance(text, str) or not text:
            errors.append(f"{path}: {kind} text must be a non-empty string")
        elif kind == "mrkdwn":
            errors += _mention_errors(path, text)
    return errors


def _mention_errors(where: str, text: str) -> list[str]:
    return [
        f"{where}: unescaped special mention {match.group(0)!r} would ping the channel"
        for match in _SPECIAL_MENTION.finditer(text)
    ]


def _walk(node: Any, path: str) -> Iterator[tuple[str, Json]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _duplicates(what: str, values: list[Any]) -> list[str]:
    seen: set[Any] = set()
    repeated: list[Any] = []
    for value in values:
        if value is not None and value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return [f"{what} {value!r} is used more than once" for value in repeated]


def _options(element: Json) -> list[Json]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return [o for o in options if isinstance(o, dict)]


def _text(obj: Any) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return obj if isinstance(obj, str) else ""


def _text_type(obj: Any) -> str | None:
    return obj.get("type") if isinstance(obj, dict) else None
