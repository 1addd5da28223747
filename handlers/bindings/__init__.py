"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings.

Read top to bottom: `grammar` (text to typed commands), `views` (the sentences people read),
`listeners` (parse, authorise, call, reply). The cards themselves are `bot.blocks.bindings`.
"""

from __future__ import annotations

from handlers.bindings.grammar import (
    MAX_OPEN_ID,
    AddNow,
    BindingCommand,
    Lookup,
    OpenEditModal,
    PreviewDelete,
    parse_binding_command,
    parse_source,
    read_add_form,
    read_edit_form,
)
from handlers.bindings.listeners import FEATURE, BindingHandlers

__all__ = [
    "FEATURE",
    "MAX_OPEN_ID",
    "AddNow",
    "BindingCommand",
    "BindingHandlers",
    "Lookup",
    "OpenEditModal",
    "PreviewDelete",
    "parse_binding_command",
    "parse_source",
    "read_add_form",
    "read_edit_form",
]
