"""What `/binding` writes into Slack and reads back, each value a `bot.wire.WireValue`: one
`encode` that checks Slack's limit, one `decode` that raises pydantic's ValidationError ("out of
date") on anything else. The wire strings are the ones older messages carry, so they stay as
they are.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, PlainSerializer
from slack_sdk.models.blocks import ButtonElement, Option
from slack_sdk.models.views import View

from bot.blocks.common import TEXT_INPUT_LIMIT, plain
from bot.models import AccountSource, Binding, BindingKey, BindingQuery, fingerprint
from bot.payloads import Fingerprint, PositiveId
from bot.wire import JsonValue, WireValue, WordsValue
from handlers.bindings.grammar import (
    Lookup,
    OpenEditModal,
    PreviewDelete,
    lookup_text,
    parse_binding_command,
)

# ---- action and callback ids: each defined here only --------------------------------------

# A binding's menu (Edit, Delete) and the Edit it button of a refused add.
MENU_ACTION = "binding_menu"
# Retry a source, Look it up and Check now.
LOOKUP_ACTION = "binding_lookup"
SHARE_ACTION = "binding_share"
# Handled by the approvals listeners: it files the request the preview describes.
DELETE_ACTION = "binding_delete"
DISMISS_ACTION = "binding_dismiss"
ADD_CALLBACK = "binding_add"
EDIT_CALLBACK = "binding_edit"


# ---- values ---------------------------------------------------------------------------------

_BY_WORD = {source.word: source for source in AccountSource}


def _source_word(raw: object) -> object:
    """A source as values carry it, by its word (`workwechat`); no alias, no other case."""
    if isinstance(raw, str) and not isinstance(raw, AccountSource):
        if raw not in _BY_WORD:
            raise ValueError("not a source")
        return _BY_WORD[raw]
    return raw


# Written as its word, too.
SourceWord = Annotated[
    AccountSource, BeforeValidator(_source_word), PlainSerializer(lambda source: source.word)
]


class KeyValue(WordsValue):
    """A binding, as `/binding edit|delete` name it: `30851821 wechat` (Cancel on a preview)."""

    limit: ClassVar[int] = ButtonElement.value_max_length

    cid: PositiveId
    source: SourceWord

    @classmethod
    def of(cls, key: BindingKey) -> KeyValue:
        return cls(cid=key.cid, source=key.source)

    @property
    def key(self) -> BindingKey:
        return BindingKey(cid=self.cid, source=self.source)


class LookupValue(WireValue):
    """Retry, Look it up, Check now and Share: the lookup to run, as `/binding` text
    (`30851821 wechat`, `openid 10014850`), which is what a person could type."""

    limit: ClassVar[int] = ButtonElement.value_max_length

    lookup: Lookup

    @classmethod
    def of(cls, key: BindingKey) -> LookupValue:
        """The lookup of one binding."""
        return cls(lookup=Lookup(BindingQuery(cid=key.cid, sources=(key.source,))))

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        parsed = parse_binding_command(text)
        if not isinstance(parsed, Lookup):
            raise ValueError("not a lookup")
        return {"lookup": parsed}

    def write(self) -> str:
        return lookup_text(self.lookup.query)


class MenuChoice(WordsValue):
    """A binding's menu, and Edit it: `edit 30851821 wechat` or `delete 30851821 wechat`."""

    # An overflow menu's option; the Edit it button allows more.
    limit: ClassVar[int] = Option.value_max_length

    verb: Literal["edit", "delete"]
    cid: PositiveId
    source: SourceWord

    @classmethod
    def of(cls, verb: Literal["edit", "delete"], key: BindingKey) -> MenuChoice:
        return cls(verb=verb, cid=key.cid, source=key.source)

    @property
    def command(self) -> OpenEditModal | PreviewDelete:
        key = BindingKey(cid=self.cid, source=self.source)
        return OpenEditModal(key) if self.verb == "edit" else PreviewDelete(key)


class BindingDeleteButton(KeyValue):
    """Delete… on a preview: the binding, and a digest of it as shown
    (`30851821 wechat <digest>`); the approvals listeners file it."""

    seen: Fingerprint

    @classmethod
    def showing(cls, key: BindingKey, seen: str) -> BindingDeleteButton:
        return cls(cid=key.cid, source=key.source, seen=seen)


def _digest(text: str) -> str:
    # What a text input shows (cut to what it holds), as its value comes back (stripped).
    return fingerprint([{"text": plain(text, TEXT_INPUT_LIMIT).strip()}])


class EditForm(JsonValue):
    """What the edit form showed, in its private_metadata: the key, and digests of the values
    (a long openId would not fit Slack's 3000 characters; only whether it changed matters).
    `{"cid":30851821,"source":"wechat","open_id":"<digest>","app_id":"<digest>"}`"""

    limit: ClassVar[int] = View.private_metadata_max_length

    cid: PositiveId
    source: AccountSource
    open_id: Fingerprint
    app_id: Fingerprint

    @classmethod
    def of(cls, binding: Binding) -> EditForm:
        return cls(
            cid=binding.cid,
            source=binding.source,
            open_id=_digest(binding.open_id),
            app_id=_digest(binding.app_id or ""),
        )

    @property
    def key(self) -> BindingKey:
        return BindingKey(cid=self.cid, source=self.source)

    def changed(self, name: Literal["open_id", "app_id"], typed: str) -> bool:
        shown: str = getattr(self, name)
        return _digest(typed) != shown
