"""What arrives from Slack, as typed models: nothing from the wire is read any other way.

The door checks the envelope (`check_envelope`) once the signature is verified: a shape no
listener can read is refused there with a 400, before bolt routes it. Listeners then decode
the values they act on (button values, private_metadata) with `bot.wire` models: the approval
cards' `RequestRef` below, each feature's in its `payloads.py`. A value that does not decode
raises `pydantic.ValidationError`, which the app answers as "out of date".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    ValidationError,
)
from slack_sdk.models.blocks import Block, ButtonElement
from slack_sdk.models.views import View

from bot.wire import WordsValue

# Slack's own limits on what an app may put in an element or a view: anything longer was
# not made by this app.
_ID_MAX = Block.block_id_max_length
_VALUE_MAX = ButtonElement.value_max_length
_METADATA_MAX = View.private_metadata_max_length
_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")

SlackId = Annotated[StrictStr, StringConstraints(max_length=_ID_MAX)]
Value = Annotated[StrictStr, StringConstraints(max_length=_VALUE_MAX)]


def _digits(raw: object) -> object:
    """Ids as Slack carries them, ASCII digits in a string; `int()` would take `1_0` and `١`."""
    if isinstance(raw, str):
        if not _ASCII_DIGITS.fullmatch(raw):
            raise ValueError("not a whole number")
        return int(raw)
    return raw


PositiveId = Annotated[int, BeforeValidator(_digits), Field(gt=0, lt=10**18)]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


# ---- envelopes: what the door lets through to bolt ----------------------------------------


class _Envelope(BaseModel):
    # Slack adds fields over time; only what the app reads is checked.
    model_config = ConfigDict(extra="allow")


class _Who(_Envelope):
    id: SlackId


class _Option(_Envelope):
    value: Value


class Action(_Envelope):
    action_id: SlackId
    block_id: SlackId | None = None
    value: Value | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None


class _State(_Envelope):
    values: dict[str, dict[str, dict[str, Any]]] = {}


class ViewPayload(_Envelope):
    id: SlackId
    type: SlackId
    callback_id: SlackId = ""
    private_metadata: Annotated[StrictStr, StringConstraints(max_length=_METADATA_MAX)] = ""
    state: _State = _State()


class BlockActions(_Envelope):
    type: Literal["block_actions"]
    user: _Who
    actions: list[Action] = Field(min_length=1)
    channel: _Who | None = None
    container: dict[str, Any] = {}
    view: ViewPayload | None = None
    trigger_id: StrictStr | None = None
    response_url: StrictStr | None = None


class ViewEvent(_Envelope):
    type: Literal["view_submission", "view_closed"]
    user: _Who
    view: ViewPayload


class SlashCommand(_Envelope):
    command: SlackId
    text: StrictStr = ""
    user_id: SlackId
    channel_id: SlackId
    trigger_id: StrictStr | None = None
    response_url: StrictStr


class _Event(_Envelope):
    type: SlackId


class EventCallback(_Envelope):
    type: Literal["event_callback"]
    event_id: SlackId
    event: _Event


class UrlVerification(_Envelope):
    type: Literal["url_verification"]
    challenge: StrictStr


_BY_TYPE: dict[str, type[_Envelope]] = {
    "command": SlashCommand,
    "block_actions": BlockActions,
    "view_submission": ViewEvent,
    "view_closed": ViewEvent,
    "event_callback": EventCallback,
    "url_verification": UrlVerification,
}


def check_envelope(body: dict[str, Any]) -> str | None:
    """Why no listener could read `body` (a short sentence), or None when it can."""
    if body.get("ssl_check") == "1":
        return None  # Slack's probe of the URL; bolt answers it
    kind = "command" if "command" in body else body.get("type")
    model = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if model is None:
        return "not a kind of request this app takes"
    try:
        model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])[:80]
        return f"unreadable {where or 'body'}: {first['type']}"
    return None


def event_id_of(body: dict[str, Any]) -> str | None:
    """The Events API delivery id, which Slack keeps the same on every retry."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    return event_id if isinstance(event_id, str) else None


# ---- what the app wrote into its own buttons and views -------------------------------------


class RequestRef(WordsValue):
    """Approve, Reject and Cancel carry the id of the request they decide (`42`), and the
    reject-reason modal keeps it as its private_metadata."""

    # The tighter of its two places: a button's value (a view's private_metadata holds 3000).
    limit: ClassVar[int] = min(ButtonElement.value_max_length, View.private_metadata_max_length)

    request_id: PositiveId
