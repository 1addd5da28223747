"""`/binding` messages: a binding's card, lookup answers, the delete preview, what a write did.

Pure: models in, Block Kit out. The modals and the sentences of a write are `views`.
"""

from __future__ import annotations

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    Block,
    Json,
    actions,
    button,
    card,
    code,
    confirm_dialog,
    context,
    escape,
    escape_entities,
    field,
    footer,
    overflow,
    quoted,
    section,
    share_button,
)
from bot.clients.errors import AlreadyBound, BackendError, ContactNotFound, WriteOutcomeUnknown
from bot.i18n import Messages
from bot.models import AccountSource, Binding, BindingKey, BindingQuery
from bot.records import BindingsBySource
from handlers.bindings.grammar import Lookup
from handlers.bindings.payloads import (
    DELETE_ACTION,
    DISMISS_ACTION,
    LOOKUP_ACTION,
    MENU_ACTION,
    SHARE_ACTION,
    BindingDeleteButton,
    KeyValue,
    LookupValue,
    MenuChoice,
)

# Blocks kept free for the title, notes about other sources, actions and footer.
_RESERVED_BLOCKS = 8


def source_name(t: Messages, source: AccountSource) -> str:
    return f"{escape(t(source.label))} ({code(source.word)})"


def binding_fields(t: Messages, binding: Binding) -> list[Json]:
    none = t("_none_")
    return [
        field(t("Contact"), code(binding.cid)),
        field(t("Source"), source_name(t, binding.source)),
        field("openId", code(binding.open_id)),
        field("appId", code(binding.app_id) if binding.app_id else none),
        field(t("Account"), code(binding.account) if binding.account else none),
        field("aId", code(binding.aid) if binding.aid is not None else none),
        field(t("Template"), code(binding.template_id) if binding.template_id else none),
        field(t("Remark"), quoted(t, binding.remark)),
    ]


def binding_card(t: Messages, binding: Binding, *, interactive: bool) -> Block:
    menu = None
    if interactive:
        key = binding.key
        menu = overflow(
            MENU_ACTION,
            [
                (t("Edit"), MenuChoice.of("edit", key).encode()),
                (t("Delete"), MenuChoice.of("delete", key).encode()),
            ],
        )
    return card(
        t(
            "*%(source)s* binding of contact %(cid)s",
            source=escape(t(binding.source.label)),
            cid=code(binding.cid),
        ),
        binding_fields(t, binding),
        accessory=menu,
    )


def _subject(t: Messages, query: BindingQuery) -> str:
    if query.cid is not None:
        return t("contact %(cid)s", cid=code(query.cid))
    return t("openId %(open_id)s", open_id=code(query.open_id or ""))


def _no_contact(t: Messages, cid: int | None, error: BackendError) -> str:
    return t(
        "Contact %(cid)s does not exist in bangwo8 (bangwo8: %(reason)s). Check the contact id.",
        cid=code(cid or ""),
        reason=code(getattr(error, "reason", "")),
    )


def lookup_message(
    t: Messages,
    query: BindingQuery,
    results: BindingsBySource,
    *,
    correlation_id: str,
    elapsed: float,
    shared_by: str | None = None,
) -> list[Block]:
    """The answer to a lookup: cards for what was found, a line per empty or failed source."""
    interactive = shared_by is None
    found = [
        binding for outcome in results.values() if isinstance(outcome, list) for binding in outcome
    ]
    failed = {source: error for source, error in results.items() if isinstance(error, BackendError)}
    empty = [source for source, outcome in results.items() if outcome == []]

    missing = [e for e in failed.values() if isinstance(e, ContactNotFound)]
    if not found and missing:
        # A definite answer, not a failure: no source can have a binding for it.
        return [section(f":x: {_no_contact(t, query.cid, missing[0])}"), footer(t, correlation_id)]
    blocks: list[Block] = [section(t("*Bindings of %(subject)s*", subject=_subject(t, query)))]
    room = MAX_MESSAGE_BLOCKS - _RESERVED_BLOCKS - len(failed)
    blocks += [binding_card(t, binding, interactive=interactive) for binding in found[:room]]
    if len(found) > room:
        blocks.append(
            context(
                t(
                    "…and %(count)s more not shown. Narrow the lookup to one source.",
                    count=len(found) - room,
                )
            )
        )
    if not found and not failed:
        blocks.append(section(_nothing_found(t, query)))
    elif empty:
        names = t(", ").join(t(source.label) for source in empty)
        blocks.append(context(t("No binding for %(sources)s.", sources=escape(names))))
    for source, error in failed.items():
        label = t(source.label)
        retry = button(
            t("Retry %(source)s", source=label),
            LOOKUP_ACTION,
            LookupValue(lookup=Lookup(query.narrowed_to(source))).encode(),
        )
        blocks.append(
            section(
                t(
                    ":warning: *%(source)s* could not be checked: %(error)s",
                    source=escape(label),
                    error=escape(error.say(t)),
                ),
                accessory=retry,
            )
        )
    if interactive:
        blocks.append(
            actions(share_button(t, SHARE_ACTION, LookupValue(lookup=Lookup(query)).encode()))
        )
    notes = [t("shared by %(user)s", user=f"<@{shared_by}>")] if shared_by else []
    took = t.ngettext(
        "%(count)d source in %(seconds)s s",
        "%(count)d sources in %(seconds)s s",
        len(results),
        seconds=f"{elapsed:.1f}",
    )
    blocks.append(footer(t, correlation_id, *notes, took))
    return blocks


def lookup_placeholder(t: Messages, query: BindingQuery) -> list[Block]:
    """The ack of a lookup: shown at once, replaced by the answer."""
    where = (
        t("%(count)s sources", count=len(query.sources))
        if len(query.sources) > 1
        else t(query.sources[0].label)
    )
    return [
        section(
            t(
                ":hourglass_flowing_sand: Looking up %(subject)s in %(where)s…",
                subject=_subject(t, query),
                where=escape(where),
            )
        )
    ]


def lookup_summary(t: Messages, query: BindingQuery, results: BindingsBySource) -> str:
    count = sum(len(outcome) for outcome in results.values() if isinstance(outcome, list))
    if query.cid is not None:
        return t.ngettext(
            "%(count)d binding of contact %(cid)s",
            "%(count)d bindings of contact %(cid)s",
            count,
            cid=query.cid,
        )
    return t.ngettext(
        "%(count)d binding of openId %(open_id)s",
        "%(count)d bindings of openId %(open_id)s",
        count,
        open_id=query.open_id,
    )


def _nothing_found(t: Messages, query: BindingQuery) -> str:
    where = t("any source") if len(query.sources) > 1 else t(query.sources[0].label)
    if query.cid is not None:
        source = query.sources[0].word if len(query.sources) == 1 else "<source>"
        add = escape_entities(f"/binding add {query.cid} {source} <openId>")
        return t(
            "Contact %(cid)s has no binding in %(where)s. Add one with %(command)s.",
            cid=code(query.cid),
            where=escape(where),
            command=f"`{add}`",
        )
    return t(
        "No contact is bound to openId %(open_id)s in %(where)s. "
        "Check the id, or look a contact up with %(command)s.",
        open_id=code(query.open_id or ""),
        where=escape(where),
        command="`/binding <cId>`",
    )


def delete_preview(
    t: Messages, binding: Binding, *, fingerprint: str, correlation_id: str
) -> list[Block]:
    key = binding.key
    dialog = confirm_dialog(
        t,
        t("Request this delete?"),
        t(
            "The %(source)s binding of contact %(cid)s (openId %(open_id)s) will be deleted "
            "once an approver approves.",
            source=escape(t(binding.source.label)),
            cid=code(binding.cid),
            open_id=code(binding.open_id),
        ),
        confirm=t("Request delete"),
    )
    return [
        section(t(":wastebasket: *This binding would be deleted* (fetched just now):")),
        binding_card(t, binding, interactive=False),
        actions(
            button(
                t("Delete…"),
                DELETE_ACTION,
                BindingDeleteButton.showing(key, fingerprint).encode(),
                style="danger",
                confirm=dialog,
            ),
            button(t("Cancel"), DISMISS_ACTION, KeyValue.of(key).encode()),
        ),
        footer(t, correlation_id, t("a second person approves every delete")),
    ]


def missing_binding(t: Messages, key: BindingKey, correlation_id: str) -> list[Block]:
    return [
        section(
            t(
                "Contact %(cid)s has no %(source)s binding. See what it has with %(command)s.",
                cid=code(key.cid),
                source=escape(t(key.source.label)),
                command=f"`/binding {key.cid}`",
            )
        ),
        footer(t, correlation_id),
    ]


def write_done(
    t: Messages, sentence: str, key: BindingKey, correlation_id: str, *, interactive: bool = True
) -> list[Block]:
    blocks: list[Block] = [section(f":white_check_mark: {sentence}")]
    if interactive:
        blocks.append(actions(button(t("Look it up"), LOOKUP_ACTION, LookupValue.of(key).encode())))
    return [*blocks, footer(t, correlation_id)]


def write_failed(
    t: Messages,
    error: BackendError,
    key: BindingKey,
    correlation_id: str,
    *,
    interactive: bool = True,
) -> list[Block]:
    """A failed add or edit as one sentence, with the next step that fits the failure.

    In a modal (not interactive) the next step is the command to type: buttons there would
    have no message to answer in.
    """
    target = key.args
    if isinstance(error, AlreadyBound):
        return [
            section(
                t(
                    "Contact %(cid)s is already bound for %(source)s (bangwo8: %(reason)s). "
                    "Change it with %(command)s.",
                    cid=code(key.cid),
                    source=escape(t(key.source.label)),
                    reason=code(error.reason),
                    command=f"`/binding edit {target}`",
                ),
                accessory=button(t("Edit it"), MENU_ACTION, MenuChoice.of("edit", key).encode())
                if interactive
                else None,
            ),
            footer(t, correlation_id),
        ]
    if isinstance(error, ContactNotFound):
        return [section(f":x: {_no_contact(t, key.cid, error)}"), footer(t, correlation_id)]
    if isinstance(error, WriteOutcomeUnknown):
        return [
            section(
                t(
                    ":hourglass: %(error)s Check before trying again: %(command)s.",
                    error=escape(error.say(t)),
                    command=f"`/binding {target}`",
                ),
                accessory=button(t("Check now"), LOOKUP_ACTION, LookupValue.of(key).encode())
                if interactive
                else None,
            ),
            footer(t, correlation_id),
        ]
    return [section(f":x: {escape(error.say(t))}"), footer(t, correlation_id)]
