"""The words people type and the values forms send back, read into typed values.

What every feature's grammar shares: the usage error it raises, the commands every feature
has (help, the add form, the audit log), reading quoted words and options, ids, and a
submitted modal's values. Pure: no Slack client, no store, no HTTP (`tests/test_layers.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.blocks.common import code
from bot.i18n import N_, Sentence


class UsageError(ValueError):
    """What was wrong with the typed input, as a sentence (`N_` message and parameters),
    said in the reader's language once the reader is known."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.text = Sentence(message, **params)
        super().__init__(str(self.text))


# Commands every feature's grammar has.


@dataclass(frozen=True)
class Help:
    problem: Sentence | None = None


@dataclass(frozen=True)
class OpenAddModal:
    pass


@dataclass(frozen=True)
class ShowAudit:
    limit: int


# A word is parts without spaces between: bare, or "double-quoted" (straight or curled, as
# Slack's apps may type them) holding anything, with \" and \\ inside.
_WORD_PART = re.compile(r'"((?:[^"\\]|\\.)*)"|“((?:[^”\\]|\\.)*)”|([^\s"“]+)', re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_QUOTES = re.compile(r'[\s"“”\\]')


def words_of(text: str) -> list[str]:
    """The words of a command, quotes read: `ref="VIP gold"` is one word, `ref=VIP gold`."""
    words: list[str] = []
    position, word = 0, None
    while position < len(text):
        if text[position].isspace():
            if word is not None:
                words.append(word)
            position, word = position + 1, None
            continue
        match = _WORD_PART.match(text, position)
        if match is None:
            raise UsageError(N_('A quote is not closed: end the value with `"`.'))
        quoted = match[1] if match[1] is not None else match[2]
        part = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else match[3]
        word, position = (word or "") + part, match.end()
    if word is not None:
        words.append(word)
    return words


def quote(value: str) -> str:
    """A value as `words_of` reads it back: quoted when it holds spaces, quotes or backslashes."""
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_slack(text: str) -> str:
    """Slash command text as typed: Slack sends `&`, `<` and `>` as HTML entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_options(tokens: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Separate positional words from `key=value` options (which may come in any order)."""
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.isidentifier() and key.lower() in {"from", "to", "page", "size"}:
            if key.lower() in options:
                raise UsageError(N_("%(option)s is given twice."), option=code(key + "="))
            options[key.lower()] = value
        else:
            words.append(token)
    return words, options


_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
_DIGITS = re.compile(r"[0-9]+")
MAX_ID_DIGITS = 18


def too_large(text: str) -> bool:
    """A whole number with more digits than any id the backends hold (they take 64-bit ints)."""
    return bool(_DIGITS.fullmatch(text)) and len(text.lstrip("0")) > MAX_ID_DIGITS


def as_positive_int(text: str) -> int | None:
    """A positive id as typed, or None. ASCII digits only: `str.isdigit` accepts `²`."""
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) <= 0:
        return None
    return int(text)


def positive_int(text: str, what: str) -> int:
    """`what` names the number (marked with `N_`, or a code span such as `page=`)."""
    number = as_positive_int(text)
    if too_large(text):
        raise UsageError(
            N_("%(what)s %(value)s is too large: ids have at most %(digits)s digits."),
            what=Sentence(what),
            value=code(text),
            digits=MAX_ID_DIGITS,
        )
    if number is None:
        raise UsageError(
            N_("%(what)s must be a positive whole number, not %(value)s."),
            what=Sentence(what),
            value=code(text),
        )
    return number


def view_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The submitted values of a modal, by block id (inputs use the action id `value`)."""
    values: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        state = actions.get("value", {})
        if state.get("type") == "static_select":
            option = state.get("selected_option")
            values[block_id] = option["value"] if option else None
        else:
            value = state.get("value")
            values[block_id] = value.strip() if isinstance(value, str) else None
    return values
