"""A view's `private_metadata` as a typed model: one encode, one decode, Slack's limit checked
where it is written.

Subclass `ViewMetadata` with the fields a form must carry from its opening to its
submission. `encode()` is what goes into the view; `decode(view)` reads it back from the
submitted view, raising pydantic's `ValidationError` (which the app answers as "out of
date") for anything this version of the app did not write.

Pure: pydantic and the standard library only.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

# Slack refuses a view whose private_metadata is longer (views.open, views.update, acks).
METADATA_LIMIT = 3000


class MetadataTooLong(ValueError):
    """A bug, not a person's mistake: the form would carry more than Slack keeps."""


class ViewMetadata(BaseModel):
    """What a modal carries for the app between its opening and its submission."""

    # Unknown fields are another version's metadata: out of date, not silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")

    def encode(self) -> str:
        """The JSON to put in `private_metadata`; raises `MetadataTooLong` past Slack's limit."""
        text = self.model_dump_json()
        if len(text) > METADATA_LIMIT:
            raise MetadataTooLong(
                f"{type(self).__name__} is {len(text)} characters; Slack keeps {METADATA_LIMIT}"
            )
        return text

    @classmethod
    def decode(cls, view: dict[str, Any]) -> Self:
        """The metadata of a submitted view; `ValidationError` when it is not this model's."""
        return cls.model_validate_json(view.get("private_metadata") or "")
