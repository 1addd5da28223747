"""Building blocks every feature shares: escaping, cutting to Block Kit's limits, cards, dialogs.

Everything here is pure: models and strings in, Block Kit out as the JSON Slack reads.

Blocks are built as JSON, not as slack_sdk objects: a lookup's cards built as objects and
serialized by their validating `to_dict` cost a tenth of its CPU, and every text here is
already cut to its limit, which is all those validators check. Limits come from slack_sdk's
classes; the sandbox parses and validates every message and view with slack_sdk's models.
Views stay slack_sdk `View`s (parsed and validated once more when sent): they are rare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    Block as BlockObject,
)
from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.i18n import Messages

if TYPE_CHECKING:
    import regex

# Block Kit's limits, as slack_sdk's classes carry them.
SECTION_TEXT_LIMIT = SectionBlock.text_max_length
MAX_FIELDS = SectionBlock.fields_max_length
BUTTON_TEXT_LIMIT = ButtonElement.text_max_length
CONFIRM_TITLE_LIMIT = ConfirmObject.title_max_length
CONFIRM_TEXT_LIMIT = ConfirmObject.text_max_length
CONFIRM_BUTTON_LIMIT = ConfirmObject.confirm_max_length
CONFIRM_DENY_LIMIT = ConfirmObject.deny_max_length
OPTION_TEXT_LIMIT = Option.label_max_length
MAX_CONTEXT_ELEMENTS = ContextBlock.elements_max_length
INPUT_LABEL_LIMIT = InputBlock.label_max_length
INPUT_HINT_LIMIT = InputBlock.hint_max_length
PLACEHOLDER_LIMIT = PlainTextInputElement.placeholder_max_length
MODAL_TITLE_LIMIT = View.title_max_length
MODAL_SUBMIT_LIMIT = View.submit_max_length
MODAL_CLOSE_LIMIT = View.close_max_length
BLOCK_ID_LIMIT = BlockObject.block_id_max_length
HEADER_TEXT_LIMIT = HeaderBlock.text_max_length
# Those slack_sdk does not carry, from Slack's reference pages:
# a section field's text, 2000 (api.slack.com/reference/block-kit/blocks#section);
FIELD_TEXT_LIMIT = 2000
# a context element's text, a text object's 3000 (api.slack.com/reference/block-kit/composition-objects#text);
CONTEXT_TEXT_LIMIT = 3000
# a message's blocks, 50 (api.slack.com/reference/block-kit/blocks);
MAX_MESSAGE_BLOCKS = 50
# a plain-text input's max_length, at most 3000 (api.slack.com/reference/block-kit/block-elements#input).
TEXT_INPUT_LIMIT = 3000
# A message's top-level `text`: Slack truncates it only at 40,000 characters (chat.postMessage);
# this app keeps it to a section's length, as notifications show it.
FALLBACK_TEXT_LIMIT = SECTION_TEXT_LIMIT
ELLIPSIS = "…"

Json = dict[str, Any]
# A Block Kit block (a section, actions, context, input, divider, header) as Slack's JSON.
Block = Json


# Slack styles `*bold*`, `_italic_`, `~strike~` and `` `code` `` only where the marker stands at
# a word's edge (after a space or punctuation, before a word). mrkdwn has no backslash escape;
# a WORD JOINER (U+2060) on each side of a marker takes it off the edge without changing what
# is seen: it is invisible, has no width, and (unlike a zero-width space) never breaks a line.
WORD_JOINER = "\u2060"
_MARKERS = str.maketrans({c: f"{WORD_JOINER}{c}{WORD_JOINER}" for c in "*_~`"})


def escape_entities(text: str) -> str:
    """Only `&`, `<`, `>`: for our own mrkdwn (help's code spans), never for outside text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: str) -> str:
    """Text shown exactly as written: no mention, link or styling; `<!channel>` pings nobody."""
    return escape_entities(text).translate(_MARKERS)


@cache
def _units() -> regex.Pattern[str]:
    """What a cut may not split: an escape, a piece of Slack markup (`<@U1>`, `<!date^…|…>`),
    and a grapheme cluster (a character with its accents, an emoji sequence, a flag).

    Compiled on the first cut: most texts fit, and the `regex` module costs a serving
    process over a megabyte.
    """
    import regex

    return regex.compile(r"&(?:amp|lt|gt);|<[^<>]*>|\X")


def slack_length(text: str) -> int:
    """Text length as Slack may count it: UTF-16 code units, so 😀 counts 2 and 中 counts 1.

    Slack documents its limits in "characters" without saying which; this reading is never
    shorter than a count of code points, so a text within it is within either.
    """
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int) -> str:
    """Shorten to at most `limit` (by `slack_length`), marking the cut with an ellipsis,
    never splitting a character, an escape or a markup span."""
    # A character is at most two UTF-16 units: short texts need no counting.
    if 2 * len(text) <= limit or slack_length(text) <= limit:
        return text
    room = limit - slack_length(ELLIPSIS)
    if room < 0:
        raise ValueError(f"cannot cut to {limit}: the ellipsis alone is longer")
    end = used = 0
    for unit in _units().finditer(text):
        size = slack_length(unit[0])
        if used + size > room:
            break
        used += size
        end = unit.end()
    return text[:end] + ELLIPSIS


def plain(text: str, limit: int) -> str:
    """Text for plain_text objects: Slack does not parse it, it only needs cutting."""
    return cut(text, limit)


def code(value: object) -> str:
    """A value in code style, as written. Slack styles nothing inside a code span, so only a
    backtick (which would end it) is taken off the edge; ids stay clean to copy."""
    text = str(value)
    if not text:
        return "_empty_"
    return f"`{escape_entities(text).replace('`', f'{WORD_JOINER}`{WORD_JOINER}')}`"


def quoted(t: Messages, value: str | None, limit: int = 200) -> str:
    """Free text from a backend or a person: escaped, cut, and visibly empty when empty."""
    if not value:
        return t("_none_")
    return cut(escape(value), limit)


def mrkdwn(text: str, limit: int) -> Json:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def plain_text(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": plain(text, limit)}


def field(label: str, value: str) -> Json:
    return mrkdwn(f"*{label}*\n{value}", FIELD_TEXT_LIMIT)


def with_optional(block: Json, **optional: object) -> Json:
    """`block` with each optional key that has a value; Slack refuses some keys when null."""
    block.update((key, value) for key, value in optional.items() if value is not None)
    return block


def section(text: str, *, accessory: Json | None = None, block_id: str | None = None) -> Block:
    return with_optional(
        {"type": "section", "text": mrkdwn(text, SECTION_TEXT_LIMIT)},
        accessory=accessory,
        block_id=block_id,
    )


def card(
    title: str,
    fields: Sequence[Json],
    *,
    accessory: Json | None = None,
    block_id: str | None = None,
) -> Block:
    """A record: a bold title line and labelled fields (Slack shows them in two columns)."""
    return with_optional(
        {
            "type": "section",
            "text": mrkdwn(title, SECTION_TEXT_LIMIT),
            "fields": list(fields[:MAX_FIELDS]),
        },
        accessory=accessory,
        block_id=block_id,
    )


def context(*texts: str) -> Block:
    elements = [mrkdwn(text, CONTEXT_TEXT_LIMIT) for text in texts[:MAX_CONTEXT_ELEMENTS]]
    return {"type": "context", "elements": elements}


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT_LIMIT)}


def confirm_dialog(t: Messages, title: str, text: str, *, confirm: str) -> Json:
    return {
        "title": plain_text(title, CONFIRM_TITLE_LIMIT),
        "text": mrkdwn(text, CONFIRM_TEXT_LIMIT),
        "confirm": plain_text(confirm, CONFIRM_BUTTON_LIMIT),
        "deny": plain_text(t("Cancel"), CONFIRM_DENY_LIMIT),
        "style": "danger",
    }


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Json | None = None,
) -> Json:
    return with_optional(
        {
            "type": "button",
            "text": plain_text(text, BUTTON_TEXT_LIMIT),
            "action_id": action_id,
            "value": value,
        },
        style=style,
        confirm=confirm,
    )


def option(
    label: str, value: str, *, description: str | None = None, markdown: bool = False
) -> Json:
    """A choice in a menu, a select or checkboxes; only checkboxes take `markdown` labels."""
    text = mrkdwn(label, OPTION_TEXT_LIMIT) if markdown else plain_text(label, OPTION_TEXT_LIMIT)
    return with_optional(
        {"text": text, "value": value},
        description=None if description is None else plain_text(description, OPTION_TEXT_LIMIT),
    )


def overflow(action_id: str, options: Sequence[tuple[str, str]]) -> Json:
    """A per-record menu: (label, value) pairs, values carrying what the choice acts on."""
    choices = [option(label, value) for label, value in options]
    return {"type": "overflow", "action_id": action_id, "options": choices}


def static_select(
    action_id: str,
    options: list[Json],
    *,
    initial: str | None = None,
    placeholder: str | None = None,
) -> Json:
    """A single choice; `initial` is the value of the option chosen at first."""
    return with_optional(
        {"type": "static_select", "action_id": action_id, "options": options},
        placeholder=None if placeholder is None else plain_text(placeholder, PLACEHOLDER_LIMIT),
        initial_option=next((o for o in options if o["value"] == initial), None),
    )


def checkboxes(action_id: str, options: list[Json], *, ticked: list[Json] | None = None) -> Json:
    return with_optional(
        {"type": "checkboxes", "action_id": action_id, "options": options},
        initial_options=ticked or None,
    )


def actions(*elements: Json, block_id: str | None = None) -> Block:
    return with_optional({"type": "actions", "elements": list(elements)}, block_id=block_id)


def share_button(t: Messages, action_id: str, query: str) -> Json:
    return button(t("Share in channel"), action_id, query)


def footer(t: Messages, correlation_id: str, *notes: str) -> Block:
    return context(" · ".join([*notes, t("ref %(ref)s", ref=code(correlation_id))]))


def notice(t: Messages, text: str, correlation_id: str) -> list[Block]:
    """A one-sentence reply (a refusal, a usage error, a failure) with its reference."""
    return [section(text), footer(t, correlation_id)]


def mrkdwn_text(mrkdwn: str) -> str:
    """The top-level `text` for a sentence already built as safe mrkdwn (parts escaped)."""
    return cut(mrkdwn, FALLBACK_TEXT_LIMIT)


def fallback_text(text: str) -> str:
    """The top-level `text` of a message: notifications show it, and Slack parses it too."""
    return cut(escape(text), FALLBACK_TEXT_LIMIT)


def changed_fields(
    t: Messages,
    sent: Mapping[str, str | None],
    labels: Mapping[str, str],
    show: Callable[[str], str] = code,
) -> str:
    """Each field a request sent, from the request itself: `appId is now `x``, `script cleared`.
    `labels` are the field names as the reader reads them."""
    parts = [
        t("%(field)s cleared", field=labels[name])
        if value == ""
        else t("%(field)s is now %(value)s", field=labels[name], value=show(value))
        for name, value in sent.items()
        if value is not None
    ]
    return t(", ").join(parts)
