"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings."""

from __future__ import annotations

from handlers.bindings.listeners import BindingHandlers, read_add_form

__all__ = ["BindingHandlers", "read_add_form"]
