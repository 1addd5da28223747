"""`/uc`: look up, add, edit and preview deletes of user-customer relations."""

from __future__ import annotations

from handlers.user_customer.listeners import UserCustomerHandlers

__all__ = ["UserCustomerHandlers"]
