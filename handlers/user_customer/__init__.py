"""`/uc`: look up, add, edit and preview deletes of user-customer relations.

Read top to bottom: `grammar` (text to typed commands), `views` (the sentences people read),
`listeners` (parse, authorise, call, reply), `forms` (the add and edit modals the listeners
open). The cards themselves are `bot.blocks.user_customer`.
"""

from __future__ import annotations

from handlers.user_customer.grammar import (
    MAX_COMMAND_LENGTH,
    Follows,
    GetRelation,
    ListRelations,
    OpenEditModal,
    PreviewDelete,
    UcCommand,
    command_text,
    parse_filter,
    parse_uc_command,
    read_add_form,
    read_edit_form,
    ticked_keys,
)
from handlers.user_customer.listeners import FEATURE, Invocation, UserCustomerHandlers

__all__ = [
    "FEATURE",
    "MAX_COMMAND_LENGTH",
    "Follows",
    "GetRelation",
    "Invocation",
    "ListRelations",
    "OpenEditModal",
    "PreviewDelete",
    "UcCommand",
    "UserCustomerHandlers",
    "command_text",
    "parse_filter",
    "parse_uc_command",
    "read_add_form",
    "read_edit_form",
    "ticked_keys",
]
