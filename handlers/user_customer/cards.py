"""`/uc` cards (pure): a relation, a lookup in progress or failed, a delete preview, the outcome
of an add or an edit."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import (
    Block,
    Json,
    actions,
    button,
    card,
    code,
    confirm_dialog,
    context,
    escape,
    field,
    footer,
    quoted,
    section,
    share_button,
)
from bot.clients.errors import BackendError, WriteOutcomeUnknown
from bot.i18n import Messages
from bot.models import Relation, RelationKey, RelationSelection
from handlers.user_customer.grammar import GetRelation
from handlers.user_customer.listing import menu
from handlers.user_customer.payloads import (
    DELETE_ACTION,
    DISMISS_ACTION,
    RETRY_ACTION,
    SHARE_ACTION,
    LookupValue,
    RelationsDeleteButton,
)
from handlers.user_customer.views import available, follows, get_command

# ---- a relation -----------------------------------------------------------------------------


def relation_fields(t: Messages, relation: Relation) -> list[Json]:
    boss_sync = t("unknown") if relation.boss_sync is None else str(relation.boss_sync)
    return [
        field(t("User"), code(relation.user_id)),
        field(t("Customer"), code(relation.customer_id)),
        field(t("Reference"), quoted(t, relation.reference)),
        field(t("Created"), escape(relation.created) or t("_unknown_")),
        field(t("Template"), quoted(t, relation.template, 500)),
        field(t("Script"), quoted(t, relation.script, 500)),
        field(t("Available"), available(t, relation)),
        field(t("Boss sync"), boss_sync),
    ]


def relation_card(t: Messages, relation: Relation, *, editable: bool) -> Block:
    return card(
        follows(t, relation.key),
        relation_fields(t, relation),
        accessory=menu(t, relation) if editable else None,
    )


def relation_message(
    t: Messages,
    relation: Relation,
    *,
    editable: bool,
    correlation_id: str,
    shared_by: str | None,
) -> list[Block]:
    blocks: list[Block] = [relation_card(t, relation, editable=editable and shared_by is None)]
    if shared_by is None:
        again = LookupValue(lookup=GetRelation(relation.key)).encode()
        blocks.append(actions(share_button(t, SHARE_ACTION, again)))
        return [*blocks, footer(t, correlation_id)]
    shared = t("shared by %(user)s", user=f"<@{escape(shared_by)}>")
    return [*blocks, footer(t, correlation_id, shared)]


def missing_relation(t: Messages, key: RelationKey, correlation_id: str) -> list[Block]:
    return [
        section(
            t(
                "User %(user)s does not follow customer %(customer)s. "
                "See whom they follow with %(command)s.",
                user=code(key.user_id),
                customer=code(key.customer_id),
                command=f"`/uc follows {key.user_id}`",
            )
        ),
        footer(t, correlation_id),
    ]


# ---- lookups --------------------------------------------------------------------------------


def lookup_placeholder(t: Messages, what: str) -> list[Block]:
    """The ack of a lookup: shown at once, replaced by the answer."""
    return [section(t(":hourglass_flowing_sand: Looking up %(what)s…", what=what))]


def lookup_failed(
    t: Messages, error: BackendError, again: LookupValue, correlation_id: str
) -> list[Block]:
    return [
        section(
            f":x: {escape(error.say(t))}",
            accessory=button(t("Try again"), RETRY_ACTION, again.encode()),
        ),
        footer(t, correlation_id),
    ]


# ---- delete previews ------------------------------------------------------------------------


def _whose(t: Messages, relations: Sequence[Relation]) -> str:
    users = sorted({relation.user_id for relation in relations})
    if len(users) == 1:
        return t("user %(user)s", user=users[0])
    return t.ngettext("%(count)d user", "%(count)d users", len(users))


def delete_preview(
    t: Messages,
    found: Sequence[Relation],
    missing: Sequence[RelationKey],
    *,
    fingerprint: str,
    correlation_id: str,
) -> list[Block]:
    """Exactly what would go, fetched just now; what does not exist is named, not dropped."""
    absent = [
        t(
            "Customer %(customer)s of user %(user)s does not exist",
            customer=code(key.customer_id),
            user=code(key.user_id),
        )
        for key in missing
    ]
    if not found:
        return [
            section(
                t(
                    ":information_source: Nothing to delete. %(missing)s.",
                    missing=t(". ").join(absent),
                )
            ),
            footer(t, correlation_id),
        ]
    whose = _whose(t, found)
    blocks: list[Block] = [
        section(
            t(
                ":wastebasket: *This relation of %(whose)s would be deleted* (fetched just now):",
                whose=whose,
            )
            if len(found) == 1
            else t(
                ":wastebasket: *These %(count)s relations of %(whose)s would be deleted* "
                "(fetched just now):",
                count=len(found),
                whose=whose,
            )
        ),
        *(relation_card(t, relation, editable=False) for relation in found),
    ]
    if absent:
        blocks.append(
            section(
                "\n".join(
                    t(":warning: %(missing)s, it will be skipped.", missing=line) for line in absent
                )
            )
        )
    selection = RelationSelection.of([relation.key for relation in found])
    dialog = confirm_dialog(
        t,
        t.ngettext(
            "Request deleting %(count)d relation?",
            "Request deleting %(count)d relations?",
            len(found),
        ),
        t.ngettext(
            "%(count)d relation of %(whose)s will be deleted once an approver approves.",
            "%(count)d relations of %(whose)s will be deleted once an approver approves.",
            len(found),
            whose=whose,
        ),
        confirm=t("Request delete"),
    )
    blocks += [
        actions(
            button(
                t.ngettext("Delete %(count)d relation…", "Delete %(count)d relations…", len(found)),
                DELETE_ACTION,
                RelationsDeleteButton(selection=selection, seen=fingerprint).encode(),
                style="danger",
                confirm=dialog,
            ),
            button(t("Cancel"), DISMISS_ACTION, selection.encode()),
        ),
        footer(t, correlation_id, t("a second person approves every delete")),
    ]
    return blocks


# ---- writes ---------------------------------------------------------------------------------


def write_done(t: Messages, sentence: str, key: RelationKey, correlation_id: str) -> list[Block]:
    return [
        section(f":white_check_mark: {sentence}"),
        context(t("See it with %(command)s.", command=get_command(key))),
        footer(t, correlation_id),
    ]


def write_failed(
    t: Messages, error: BackendError, key: RelationKey, correlation_id: str
) -> list[Block]:
    """A failed add or edit as one sentence; when its outcome is unknown, the lookup to check."""
    if isinstance(error, WriteOutcomeUnknown):
        text = t(
            ":hourglass: %(error)s Check before trying again: %(command)s.",
            error=escape(error.say(t)),
            command=get_command(key),
        )
    else:
        text = f":x: {escape(error.say(t))}"
    return [section(text), footer(t, correlation_id)]
