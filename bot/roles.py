"""Who may look up, change and approve: VIEWERS, EDITORS, APPROVERS."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import Messages


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    APPROVER = "approver"


_SETTING = {Role.VIEWER: "VIEWERS", Role.EDITOR: "EDITORS", Role.APPROVER: "APPROVERS"}


@dataclass(frozen=True)
class Roles:
    """Empty VIEWERS lets everyone look up; empty EDITORS lets nobody change anything.

    Approvers are editors too, and editors may look up whatever they may change.
    """

    viewers: frozenset[str] = frozenset()
    editors: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()

    def allows(self, user_id: str, role: Role) -> bool:
        if role is Role.APPROVER:
            return user_id in self.approvers
        if role is Role.EDITOR:
            return user_id in self.editors or user_id in self.approvers
        return not self.viewers or user_id in self.viewers or self.allows(user_id, Role.EDITOR)


def refusal(t: Messages, role: Role, action: str) -> str:
    """The sentence a refused person reads: what they tried (`action`, already in their
    language) and which role it needs."""
    return t(
        "You can't %(action)s: that needs the %(role)s role. "
        "Ask an admin to add your Slack user id to %(setting)s.",
        action=action,
        role=role.value,
        setting=_SETTING[role],
    )
