"""Values the app writes into Slack and reads back: button and option values, block ids,
private_metadata. Each is a pydantic model with one way out, `encode`, which checks Slack's
limit where the value travels, and one way in, `decode` (or a field of the model's type),
which raises pydantic's `ValidationError` on anything the app did not write; the app answers
that as "out of date".
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from bot.i18n import Sentence

# Where a value came from the wire, its decode takes text only: a dict there was not written
# by `encode`.
_WIRE = "wire"


class TooLong(ValueError):
    """An encoded value over Slack's limit. `text` says so to the person whose input made it
    that long; a value the app alone made too long is a bug, which `str()` names."""

    def __init__(self, model: str, length: int, limit: int, text: Sentence | None) -> None:
        super().__init__(f"{model} is {length} characters, over Slack's {limit}")
        self.text = text


class WireValue(BaseModel):
    """A value as it travels through Slack: subclasses say how it is written (`write`) and read
    (`read`) as text, and the limit of the place it travels in."""

    model_config = ConfigDict(frozen=True)

    limit: ClassVar[int]
    # What a person is told when their input made the value too long (an `N_` message with
    # `count`), for the values a person's input goes into.
    too_long: ClassVar[str | None] = None

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        """The fields written in `text`; ValueError when it is not something `write` made."""
        raise NotImplementedError

    def write(self) -> str:
        raise NotImplementedError

    @classmethod
    def room(cls) -> int:
        """How many characters the sentence of `too_long` allows (the limit, unless framed)."""
        return cls.limit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, raw: Any, info: ValidationInfo) -> Any:
        if isinstance(raw, str):
            return cls.read(raw)
        if info.context and info.context.get(_WIRE):
            raise ValueError("not text")
        return raw

    def encode(self) -> str:
        text = self.write()
        if len(text) > self.limit:
            sentence = Sentence(self.too_long, count=self.room()) if self.too_long else None
            raise TooLong(type(self).__name__, len(text), self.limit, sentence)
        return text

    @classmethod
    def decode(cls, raw: object) -> Self:
        return cls.model_validate(raw, context={_WIRE: True})


class JsonValue(WireValue):
    """A value written as its fields in a JSON object (a modal's private_metadata)."""

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
        return fields

    def write(self) -> str:
        return self.model_dump_json()


class WordsValue(WireValue):
    """A value written as its fields in order, one word each, separated by spaces
    (`edit 30851821 wechat`); a field's JSON form is its word."""

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        names = list(cls.model_fields)
        words = text.split(" ")
        if len(words) != len(names):
            raise ValueError(f"expected {len(names)} words")
        return dict(zip(names, words, strict=True))

    def write(self) -> str:
        return " ".join(str(word) for word in self.model_dump(mode="json").values())
