"""Modals: form fields, the modals that only tell something, and what a submit comes to.

Pure, like the rest of `bot.blocks`: fields are JSON; a modal is a slack_sdk `View` (rare,
so validated by slack_sdk when it is sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.models.blocks import PlainTextObject
from slack_sdk.models.views import View

from bot.blocks.common import (
    INPUT_HINT_LIMIT,
    INPUT_LABEL_LIMIT,
    MODAL_CLOSE_LIMIT,
    MODAL_SUBMIT_LIMIT,
    MODAL_TITLE_LIMIT,
    PLACEHOLDER_LIMIT,
    SECTION_TEXT_LIMIT,
    TEXT_INPUT_LIMIT,
    Block,
    Json,
    divider,
    plain,
    plain_text,
    section,
    with_optional,
)
from bot.i18n import Messages


def input_block(
    block_id: str,
    label: str,
    element: Json,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """A modal field; its value comes back under `block_id` / the element's action id."""
    return with_optional(
        {
            "type": "input",
            "block_id": block_id,
            "label": plain_text(label, INPUT_LABEL_LIMIT),
            "element": element,
            "optional": optional,
        },
        hint=plain_text(hint, INPUT_HINT_LIMIT) if hint else None,
    )


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    multiline: bool = False,
    max_length: int = TEXT_INPUT_LIMIT,
) -> Block:
    """A modal text field; its value comes back under `block_id` / action `value`."""
    element = with_optional(
        {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": max_length,
        },
        initial_value=plain(initial, max_length) if initial else None,
        placeholder=plain_text(placeholder, PLACEHOLDER_LIMIT) if placeholder else None,
    )
    return input_block(block_id, label, element, optional=optional, hint=hint)


def message_modal(t: Messages, title: str, blocks: list[Block]) -> View:
    """A modal that only tells something: loading, saving, a result, an error."""
    return View(
        type="modal",
        title=PlainTextObject(text=plain(title, MODAL_TITLE_LIMIT)),
        close=PlainTextObject(text=plain(t("Close"), MODAL_CLOSE_LIMIT)),
        blocks=blocks,
    )


def loading_modal(t: Messages, title: str, what: str) -> View:
    return message_modal(t, title, [section(f":hourglass_flowing_sand: {what}"), divider()])


def form_modal(
    t: Messages,
    title: str,
    submit: str,
    callback_id: str,
    blocks: list[Block],
    private_metadata: str | None = None,
) -> View:
    """A form: its title and submit button in the reader's language, and Cancel."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=plain(title, MODAL_TITLE_LIMIT)),
        submit=PlainTextObject(text=plain(submit, MODAL_SUBMIT_LIMIT)),
        close=PlainTextObject(text=plain(t("Cancel"), MODAL_CLOSE_LIMIT)),
        private_metadata=private_metadata,
        blocks=blocks,
    )


def problem_banner(problem: str) -> list[Block]:
    """Why a form came back, at its top; plain_text, so a backend's words show as written."""
    if not problem:
        return []
    return [{"type": "section", "text": plain_text(f"❌ {problem}", SECTION_TEXT_LIMIT)}]


# ---- what a modal submit comes to ----------------------------------------------------------


@dataclass(frozen=True)
class FieldErrors:
    """A refusal about fields: shown on them; `form` is the same form, as typed, saying why."""

    errors: dict[str, str]
    form: View


@dataclass(frozen=True)
class Shown:
    """A view to show in place of the form: the result, or the form again with a problem."""

    view: View


ModalOutcome = FieldErrors | Shown


def on_field(block_id: str, sentence: str, form: Callable[[str], View]) -> ModalOutcome:
    """A refusal about one field: its error, and the form as typed saying the same."""
    return FieldErrors({block_id: sentence}, form(sentence))
