"""What `/uc` writes into Slack and reads back, each value a `bot.wire.WireValue`: one `encode`
that checks Slack's limit, one `decode` that raises pydantic's ValidationError ("out of date")
on anything else. The wire strings are the ones older messages carry, so they stay as they are.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, ClassVar, Literal

from slack_sdk.models.blocks import Block, ButtonElement, Option
from slack_sdk.models.views import View

from bot.i18n import N_
from bot.models import RelationKey, RelationQuery, RelationSelection
from bot.payloads import Fingerprint, PositiveId
from bot.wire import JsonValue, TooLong, WireValue, WordsValue
from handlers.user_customer.grammar import (
    MAX_PAGE_SIZE,
    Command,
    ListRelations,
    Lookup,
    OpenEditModal,
    PageCommand,
    PreviewDelete,
    at_page,
    command_text,
    parse_command,
)
from handlers.words import Help

# ---- action and callback ids: each defined here only --------------------------------------

MENU_ACTION = "uc_menu"
# Each row's tick box is its own element (Slack sends one event per change); the action id
# starts with this and ends with the row's key.
TICK_ACTION = "uc_tick"
PREVIOUS_ACTION = "uc_previous"
NEXT_ACTION = "uc_next"
RETRY_ACTION = "uc_retry"
SHARE_ACTION = "uc_share"
DELETE_SELECTED_ACTION = "uc_delete_selected"
# Handled by the approvals listeners: it files the request the preview describes.
DELETE_ACTION = "uc_delete"
DISMISS_ACTION = "uc_dismiss"
ADD_CALLBACK = "uc_add"
EDIT_CALLBACK = "uc_edit"


# ---- values ---------------------------------------------------------------------------------


class KeyValue(WireValue):
    """A relation in a tick box's option: `998:1001`."""

    limit: ClassVar[int] = Option.value_max_length

    user_id: PositiveId
    customer_id: PositiveId

    @classmethod
    def of(cls, key: RelationKey) -> KeyValue:
        return cls(user_id=key.user_id, customer_id=key.customer_id)

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        user, colon, customer = text.partition(":")
        if not colon:
            raise ValueError("not a key")
        return {"user_id": user, "customer_id": customer}

    def write(self) -> str:
        return f"{self.user_id}:{self.customer_id}"

    @property
    def key(self) -> RelationKey:
        return RelationKey(user_id=self.user_id, customer_id=self.customer_id)


def tick_action_id(key: RelationKey) -> str:
    return f"{TICK_ACTION}:{KeyValue.of(key).encode()}"


def elsewhere_action_id(start: int) -> str:
    """The boxes holding ticks made on other pages, ten to an element."""
    return f"{TICK_ACTION}:elsewhere:{start}"


def _command(text: str, accepted: UnionType) -> Command:
    """A command written as `/uc` text, if it is one the control may carry."""
    # A list too long to page through was not written by this app.
    parsed = pageable(parse_command(text))
    if not isinstance(parsed, accepted):
        raise ValueError(f"not a {accepted}")
    return parsed


class LookupValue(WireValue):
    """Previous, Next, Try again and Share: the lookup to run, as `/uc` text
    (`list reference="VIP gold" page=2 size=10`), which is what a person could type."""

    limit: ClassVar[int] = ButtonElement.value_max_length

    lookup: Lookup

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        return {"lookup": _command(text, Lookup)}

    def write(self) -> str:
        return command_text(self.lookup)


_ROW = "uc_row"
_ELSEWHERE = "elsewhere"


class RowBlockId(WireValue):
    """A list row's block id: `uc_row|998:1001|<the page's command>` (`elsewhere` for the
    ticks of other pages). Ephemeral messages come back without their blocks, so a tick says
    which page to redraw."""

    limit: ClassVar[int] = Block.block_id_max_length
    too_long: ClassVar[str] = N_(
        "Those filters are too long to page through in Slack; keep them under %(count)s characters."
    )

    key: RelationKey | None
    page: PageCommand

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        prefix, key, command = text.split("|", 2)
        if prefix != _ROW:
            raise ValueError("not a row")
        row = None if key == _ELSEWHERE else KeyValue.decode(key).key
        return {"key": row, "page": _command(command, PageCommand)}

    def write(self) -> str:
        key = _ELSEWHERE if self.key is None else KeyValue.of(self.key).encode()
        return f"{_ROW}|{key}|{command_text(self.page)}"

    @classmethod
    def room(cls) -> int:
        """The characters left for filters, on the row with the longest key and page."""
        bare = cls(key=_LONGEST_KEY, page=ListRelations(_LAST_PAGE)).write()
        return cls.limit - len(bare)


_LONGEST_KEY = RelationKey(user_id=10**18 - 1, customer_id=10**18 - 1)
_LAST_PAGE = RelationQuery(page=10**18 - 1, size=MAX_PAGE_SIZE)


def pageable(parsed: Command) -> Command:
    """A list whose rows could not carry it to every page it may turn to is refused as typed,
    before anything is looked up."""
    if isinstance(parsed, ListRelations):
        try:
            RowBlockId(key=_LONGEST_KEY, page=at_page(parsed, _LAST_PAGE.page)).encode()
        except TooLong as error:
            return Help(problem=error.text)
    return parsed


class MenuChoice(WordsValue):
    """A row's menu: `edit 998 1001` or `delete 998 1001`."""

    limit: ClassVar[int] = Option.value_max_length

    verb: Literal["edit", "delete"]
    user_id: PositiveId
    customer_id: PositiveId

    @classmethod
    def of(cls, verb: Literal["edit", "delete"], key: RelationKey) -> MenuChoice:
        return cls(verb=verb, user_id=key.user_id, customer_id=key.customer_id)

    @property
    def command(self) -> OpenEditModal | PreviewDelete:
        key = RelationKey(user_id=self.user_id, customer_id=self.customer_id)
        if self.verb == "edit":
            return OpenEditModal(key)
        return PreviewDelete(RelationSelection.of([key]))


class RelationsDeleteButton(WireValue):
    """Delete… on a preview: the relations, and a digest of them as shown
    (`998:1001,1002;999:1003 <digest>`); the approvals listeners file it."""

    limit: ClassVar[int] = ButtonElement.value_max_length

    selection: RelationSelection
    seen: Fingerprint

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        selection, seen = text.split(" ")
        return {"selection": selection, "seen": seen}

    def write(self) -> str:
        return f"{self.selection.encode()} {self.seen}"


class EditMetadata(JsonValue):
    """The edit modal's private_metadata: the relation, and digests of what the form showed
    (fields left as shown are not sent back)."""

    limit: ClassVar[int] = View.private_metadata_max_length

    user_id: PositiveId
    customer_id: PositiveId
    shown: dict[str, str]

    @property
    def key(self) -> RelationKey:
        return RelationKey(user_id=self.user_id, customer_id=self.customer_id)


def ticked_keys(state_values: dict[str, Any]) -> frozenset[RelationKey]:
    """The relations whose tick boxes are ticked in a message's state."""
    keys = set()
    for elements in state_values.values():
        for action_id, state in elements.items():
            if not action_id.startswith(f"{TICK_ACTION}:"):
                continue
            for option in state.get("selected_options") or []:
                value = option.get("value") if isinstance(option, dict) else None
                keys.add(KeyValue.decode(value).key)
    return frozenset(keys)
