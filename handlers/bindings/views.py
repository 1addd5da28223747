"""`/binding` sentences: what a write did and what a form is loading (pure)."""

from __future__ import annotations

from typing import Any

from bot.blocks import bindings as ui
from bot.blocks.common import code, escape
from bot.i18n import Messages
from bot.models import BindingChange, BindingKey, NewBinding


def first_line(blocks: list[Any]) -> str:
    text = getattr(getattr(blocks[0], "text", None), "text", "") if blocks else ""
    return str(text).split("\n")[0]


def added(t: Messages, binding: NewBinding) -> str:
    params = {
        "cid": code(binding.cid),
        "source": escape(t(binding.source.label)),
        "open_id": code(binding.open_id),
    }
    if binding.app_id:
        return t(
            "Contact %(cid)s is now bound to %(source)s openId %(open_id)s with appId %(app_id)s.",
            app_id=code(binding.app_id),
            **params,
        )
    return t("Contact %(cid)s is now bound to %(source)s openId %(open_id)s.", **params)


def saved(t: Messages, change: BindingChange) -> str:
    return t(
        "Saved the %(source)s binding of contact %(cid)s: %(changes)s.",
        source=escape(t(change.source.label)),
        cid=code(change.cid),
        changes=ui.changes(t, change),
    )


def loading(t: Messages, key: BindingKey) -> str:
    return t(
        "Loading the %(source)s binding of contact %(cid)s…",
        source=escape(t(key.source.label)),
        cid=code(key.cid),
    )
