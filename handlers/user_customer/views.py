"""`/uc` sentences: how a relation, a change and a lookup are said (pure). The Block Kit that
holds them is `listing.py` (list pages), `cards.py` (a relation, a delete preview, a write's
outcome) and `modals.py` (the add and edit forms)."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.common import changed_fields, code, escape, quoted
from bot.i18n import Messages
from bot.models import Relation, RelationChange, RelationKey
from handlers.user_customer.grammar import (
    EDITABLE,
    Follows,
    GetRelation,
    ListRelations,
    PreviewDelete,
    key_text,
)


def available(t: Messages, relation: Relation) -> str:
    if relation.is_available is None:
        return t("unknown")
    return t("yes") if relation.is_available else t("no")


def follows(t: Messages, key: RelationKey) -> str:
    return t(
        "User %(user)s follows customer %(customer)s",
        user=code(key.user_id),
        customer=code(key.customer_id),
    )


def pair(t: Messages, key: RelationKey, *, codes: bool = True) -> str:
    show = code if codes else str
    return t(
        "user %(user)s → customer %(customer)s",
        user=show(key.user_id),
        customer=show(key.customer_id),
    )


def created(t: Messages, relation: Relation, show: Callable[[str], str] = escape) -> str:
    return t(
        "created %(created)s · available: %(available)s",
        created=show(relation.created) or "?",
        available=available(t, relation),
    )


def relation_line(t: Messages, relation: Relation) -> str:
    """A row as one line of mrkdwn, for pages nobody can act on (shared, or read-only)."""
    ref = t("ref %(ref)s", ref=quoted(t, relation.reference, 100))
    return f"{pair(t, relation.key)} · {ref} · {created(t, relation)}"


def get_command(key: RelationKey) -> str:
    """The command that shows a relation, as a hint people can copy."""
    return f"`/uc get {key_text(key)}`"


_LABELS = {name: name for name in EDITABLE}


def changes(t: Messages, change: RelationChange, show: Callable[[str], str] = code) -> str:
    """Each field an edit sent, as said to the person and in the audit log."""
    return changed_fields(t, change.model_dump(include=set(EDITABLE)), _LABELS, show)


def looking_up(t: Messages, parsed: object) -> str | None:
    """What a command is looking up, when its answer needs the backend."""
    match parsed:
        case ListRelations() | Follows():
            return t("relations")
        case GetRelation(key):
            return t(
                "the relation of user %(user)s and customer %(customer)s",
                user=code(key.user_id),
                customer=code(key.customer_id),
            )
        case PreviewDelete(selection):
            return t.ngettext(
                "the %(count)d relation to delete",
                "the %(count)d relations to delete",
                len(selection.keys),
            )
    return None


def added(t: Messages, key: RelationKey) -> str:
    return t(
        "User %(user)s now follows customer %(customer)s.",
        user=code(key.user_id),
        customer=code(key.customer_id),
    )


def saved(t: Messages, change: RelationChange) -> str:
    return t(
        "Saved user %(user)s's relation with customer %(customer)s: %(changes)s.",
        user=code(change.user_id),
        customer=code(change.customer_id),
        changes=changes(t, change),
    )
