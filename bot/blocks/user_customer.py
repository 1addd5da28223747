"""Block Kit for user-customer relations: list pages, cards, delete previews, modals. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    OPTION_TEXT_LIMIT,
    ModalOutcome,
    Shown,
    actions,
    button,
    card,
    changed_fields,
    code,
    confirm_dialog,
    context,
    escape,
    field,
    footer,
    loading_modal,
    message_modal,
    on_field,
    overflow,
    plain,
    problem_banner,
    quoted,
    section,
    share_button,
    text_input,
)
from bot.clients.errors import BackendError, BackendRejected, WriteOutcomeUnknown
from bot.models import Relation, RelationChange, RelationKey, RelationPage, RelationSelection

MENU_ACTION = "uc_menu"
# Each row's tick box is its own element (Slack sends one event per change); the action id
# starts with this and ends with the row's key.
TICK_ACTION = "uc_tick"
PREVIOUS_ACTION = "uc_previous"
NEXT_ACTION = "uc_next"
RETRY_ACTION = "uc_retry"
SHARE_ACTION = "uc_share"
DELETE_SELECTED_ACTION = "uc_delete_selected"
# Handled by the approvals module: it files the request the preview describes.
DELETE_ACTION = "uc_delete"
DISMISS_ACTION = "uc_dismiss"
ADD_CALLBACK = "uc_add"
EDIT_CALLBACK = "uc_edit"

# Title, summary, hint, actions and footer around the rows, one block per row: 20 rows keep
# a page at half of Slack's 50-block limit and readable on a laptop screen.
_FRAME_BLOCKS = 6
MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = 10
assert MAX_PAGE_SIZE + _FRAME_BLOCKS <= MAX_MESSAGE_BLOCKS
# A delete preview shows one card per relation.
MAX_DELETE = MAX_PAGE_SIZE
# A row's block id carries the command that shows its page (ephemeral messages come back
# without their blocks, so a tick must say which page to redraw); block ids hold 255 chars.
BLOCK_ID_LIMIT = 255
_ROW_PREFIX = "uc_row"


# ---- keys as they travel in values ----------------------------------------------------------


def key_value(key: RelationKey) -> str:
    return f"{key.user_id}:{key.customer_id}"


def parse_key_value(text: str) -> RelationKey | None:
    user, _, customer = text.partition(":")
    if not (user.isdigit() and customer.isdigit()):
        return None
    return RelationKey(user_id=int(user), customer_id=int(customer))


def row_block_id(key: RelationKey, command: str) -> str:
    return f"{_ROW_PREFIX}|{key_value(key)}|{command}"


def command_of_row(block_id: str) -> str | None:
    """The command text of the page a row belongs to, from the row's block id."""
    prefix, _, rest = block_id.partition("|")
    _, _, command = rest.partition("|")
    return command if prefix == _ROW_PREFIX and command else None


def target(key: RelationKey) -> str:
    return f"{key.user_id} {key.customer_id}"


# ---- records --------------------------------------------------------------------------------


def _available(relation: Relation) -> str:
    if relation.is_available is None:
        return "unknown"
    return "yes" if relation.is_available else "no"


def _menu(relation: Relation) -> OverflowMenuElement:
    pair = target(relation.key)
    return overflow(MENU_ACTION, [("Edit", f"edit {pair}"), ("Delete", f"delete {pair}")])


def relation_fields(relation: Relation) -> list[MarkdownTextObject]:
    return [
        field("User", code(relation.user_id)),
        field("Customer", code(relation.customer_id)),
        field("Reference", quoted(relation.reference)),
        field("Created", escape(relation.created) or "_unknown_"),
        field("Template", quoted(relation.template, 500)),
        field("Script", quoted(relation.script, 500)),
        field("Available", _available(relation)),
        field("Boss sync", "unknown" if relation.boss_sync is None else str(relation.boss_sync)),
    ]


def relation_card(relation: Relation, *, editable: bool) -> Block:
    return card(
        f"User {code(relation.user_id)} follows customer {code(relation.customer_id)}",
        relation_fields(relation),
        accessory=_menu(relation) if editable else None,
    )


def relation_line(relation: Relation) -> str:
    """A row as one line of mrkdwn, for pages nobody can act on (shared, or read-only)."""
    return (
        f"user {code(relation.user_id)} → customer {code(relation.customer_id)}"
        f" · ref {quoted(relation.reference, 100)} · created {escape(relation.created) or '?'}"
        f" · available: {_available(relation)}"
    )


def _tick_option(relation: Relation) -> Option:
    head = f"user {code(relation.user_id)} → customer {code(relation.customer_id)} · "
    room = max(OPTION_TEXT_LIMIT - len(head), 12)
    return Option(
        value=key_value(relation.key),
        text=MarkdownTextObject(text=head + quoted(relation.reference, room)),
        description=PlainTextObject(
            text=plain(
                f"created {relation.created or '?'} · available: {_available(relation)}",
                OPTION_TEXT_LIMIT,
            )
        ),
    )


def _editable_row(relation: Relation, command: str, ticked: bool) -> Block:
    option = _tick_option(relation)
    tick = CheckboxesElement(
        action_id=f"{TICK_ACTION}:{key_value(relation.key)}",
        options=[option],
        initial_options=[option] if ticked else None,
    )
    return ActionsBlock(
        block_id=row_block_id(relation.key, command), elements=[tick, _menu(relation)]
    )


# ---- list pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A page as asked for: what it shows and the command text of it and its neighbours."""

    title: str
    command: str
    previous: str | None
    next: str | None
    empty: str
    past_the_end: bool = False
    notes: tuple[str, ...] = ()


def _count(total: int) -> str:
    return "1 relation" if total == 1 else f"{total} relations"


def list_message(
    listing: Listing,
    page: RelationPage,
    *,
    ticked: frozenset[RelationKey] = frozenset(),
    editable: bool,
    correlation_id: str,
    shared_by: str | None = None,
) -> list[Block]:
    """A page of relations; editors get a tick box and a menu on each row."""
    interactive = shared_by is None
    editable = editable and interactive
    rows = page.data[:MAX_PAGE_SIZE]
    here = {row.key for row in rows}
    elsewhere = sorted(ticked - here, key=lambda k: (k.user_id, k.customer_id))
    blocks: list[Block] = [section(f"*{listing.title}*")]
    summary = [
        _count(page.total_records),
        "past the last page"
        if listing.past_the_end
        else f"page {page.page_index} of {max(page.total_pages, 1)}",
        *listing.notes,
    ]
    blocks.append(context(" · ".join(summary)))
    if rows and editable:
        blocks += [_editable_row(row, listing.command, row.key in ticked) for row in rows]
        if not ticked:
            blocks.append(context("Tick relations to delete several at once."))
    elif rows:
        blocks += [section(relation_line(row)) for row in rows]
    else:
        blocks.append(section(listing.empty))
    if elsewhere and editable:
        blocks += _ticked_elsewhere(elsewhere, listing.command)
    if interactive:
        blocks.append(_list_actions(listing, ticked, editable))
    notes = [f"shared by <@{escape(shared_by)}>"] if shared_by else []
    blocks.append(footer(correlation_id, *notes))
    return blocks


_CHECKBOX_OPTIONS = 10


def _ticked_elsewhere(keys: list[RelationKey], command: str) -> list[Block]:
    """Ticks on other pages of this list travel in the message itself, as ticked boxes."""
    options = [
        Option(
            value=key_value(key),
            text=PlainTextObject(text=f"user {key.user_id} → customer {key.customer_id}"),
        )
        for key in keys[:MAX_DELETE]
    ]
    boxes = [
        CheckboxesElement(
            action_id=f"{TICK_ACTION}:elsewhere:{start}",
            options=options[start : start + _CHECKBOX_OPTIONS],
            initial_options=options[start : start + _CHECKBOX_OPTIONS],
        )
        for start in range(0, len(options), _CHECKBOX_OPTIONS)
    ]
    return [
        context("Also ticked, on other pages of this list (untick to leave out):"),
        ActionsBlock(block_id=f"{_ROW_PREFIX}|elsewhere|{command}", elements=boxes),
    ]


def _list_actions(listing: Listing, ticked: frozenset[RelationKey], editable: bool) -> Block:
    buttons: list[ButtonElement] = []
    if editable and ticked:
        buttons.append(_delete_selected(ticked))
    if listing.previous:
        buttons.append(button("◀ Previous", PREVIOUS_ACTION, listing.previous))
    if listing.next:
        buttons.append(button("Next ▶", NEXT_ACTION, listing.next))
    buttons.append(share_button(SHARE_ACTION, listing.command))
    return actions(*buttons)


def _delete_selected(ticked: frozenset[RelationKey]) -> ButtonElement:
    """No dialog here: the preview it opens has the one confirm, on its Delete button."""
    selection = RelationSelection.of(sorted(ticked, key=lambda k: (k.user_id, k.customer_id)))
    return button(
        f"Delete selected ({len(ticked)})",
        DELETE_SELECTED_ACTION,
        selection.to_text(),
        style="danger",
    )


def list_summary(page: RelationPage) -> str:
    """The plain fallback text of a page (notifications show it)."""
    return f"{_count(page.total_records)}, page {page.page_index} of {max(page.total_pages, 1)}"


def relation_message(
    relation: Relation, *, command: str, editable: bool, correlation_id: str, shared_by: str | None
) -> list[Block]:
    blocks: list[Block] = [relation_card(relation, editable=editable and shared_by is None)]
    if shared_by is None:
        blocks.append(actions(share_button(SHARE_ACTION, command)))
        return [*blocks, footer(correlation_id)]
    return [*blocks, footer(correlation_id, f"shared by <@{escape(shared_by)}>")]


def missing_relation(key: RelationKey, correlation_id: str) -> list[Block]:
    return [
        section(
            f"User {code(key.user_id)} does not follow customer {code(key.customer_id)}. "
            f"See whom they follow with `/uc follows {key.user_id}`."
        ),
        footer(correlation_id),
    ]


def lookup_placeholder(what: str) -> list[Block]:
    """The ack of a lookup: shown at once, replaced by the answer."""
    return [section(f":hourglass_flowing_sand: Looking up {what}…")]


def lookup_failed(error: BackendError, command: str, correlation_id: str) -> list[Block]:
    return [
        section(
            f":x: {escape(error.sentence)}",
            accessory=button("Try again", RETRY_ACTION, command),
        ),
        footer(correlation_id),
    ]


# ---- delete previews ------------------------------------------------------------------------


def _whose(relations: Sequence[Relation]) -> str:
    users = sorted({relation.user_id for relation in relations})
    if len(users) == 1:
        return f"user {users[0]}"
    return f"{len(users)} users"


def delete_preview(
    found: Sequence[Relation],
    missing: Sequence[RelationKey],
    *,
    fingerprint: str,
    correlation_id: str,
) -> list[Block]:
    """Exactly what would go, fetched just now; what does not exist is named, not dropped."""
    absent = [
        f"Customer {code(key.customer_id)} of user {code(key.user_id)} does not exist"
        for key in missing
    ]
    if not found:
        return [
            section(f":information_source: Nothing to delete. {'. '.join(absent)}."),
            footer(correlation_id),
        ]
    count = _count(len(found))
    blocks: list[Block] = [
        section(
            f":wastebasket: *{'This relation' if len(found) == 1 else f'These {count}'} "
            f"of {_whose(found)} would be deleted* (fetched just now):"
        ),
        *(relation_card(relation, editable=False) for relation in found),
    ]
    if absent:
        blocks.append(
            section("\n".join(f":warning: {line}, it will be skipped." for line in absent))
        )
    selection = RelationSelection.of([relation.key for relation in found])
    dialog = confirm_dialog(
        f"Request deleting {count}?",
        f"{count.capitalize()} of {_whose(found)} will be deleted once an approver approves.",
        confirm="Request delete",
    )
    blocks += [
        actions(
            button(
                f"Delete {count}…",
                DELETE_ACTION,
                f"{selection.to_text()} {fingerprint}",
                style="danger",
                confirm=dialog,
            ),
            button("Cancel", DISMISS_ACTION, selection.to_text()),
        ),
        footer(correlation_id, "a second person approves every delete"),
    ]
    return blocks


# ---- writes ---------------------------------------------------------------------------------


def write_done(sentence: str, key: RelationKey, correlation_id: str) -> list[Block]:
    return [
        section(f":white_check_mark: {sentence}"),
        context(f"See it with `/uc get {target(key)}`."),
        footer(correlation_id),
    ]


def write_failed(error: BackendError, key: RelationKey, correlation_id: str) -> list[Block]:
    """A failed add or edit as one sentence; when its outcome is unknown, the lookup to check."""
    if isinstance(error, WriteOutcomeUnknown):
        text = (
            f":hourglass: {escape(error.sentence)} Check before trying again: "
            f"`/uc get {target(key)}`."
        )
    else:
        text = f":x: {escape(error.sentence)}"
    return [section(text), footer(correlation_id)]


# ---- modals ---------------------------------------------------------------------------------

FormValues = dict[str, str | None]


def add_modal(*, secret: str | None, values: FormValues | None = None, problem: str = "") -> View:
    """The add form; after a refusal it comes back with what was typed and why it failed."""
    typed = values or {}
    blocks: list[Block] = problem_banner(problem)
    blocks += [
        text_input("user_id", "User id", initial=typed.get("user_id"), placeholder="998"),
        text_input(
            "customer_id", "Customer id", initial=typed.get("customer_id"), placeholder="1001"
        ),
        text_input(
            "secret",
            "Authorization code (secret)",
            initial=typed.get("secret") or secret,
            hint="The customer's authorization code; UserCustomer checks it.",
        ),
        text_input(
            "template", "Template", initial=typed.get("template"), optional=True, multiline=True
        ),
        text_input("script", "Script", initial=typed.get("script"), optional=True, multiline=True),
        text_input("reference", "Reference", initial=typed.get("reference"), optional=True),
    ]
    return View(
        type="modal",
        callback_id=ADD_CALLBACK,
        title=PlainTextObject(text="Add relation"),
        submit=PlainTextObject(text="Add"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


_TEXT_LIMIT = 3000


def edit_form_values(relation: Relation) -> dict[str, str]:
    """What the edit form shows in each field (cut to what a text input holds)."""
    texts = {
        "template": relation.template,
        "script": relation.script,
        "reference": relation.reference,
    }
    return {name: plain(text or "", _TEXT_LIMIT) for name, text in texts.items()}


def edit_modal(
    key: RelationKey,
    relation: Relation | None,
    *,
    private_metadata: str,
    values: FormValues | None = None,
    problem: str = "",
) -> View:
    """The edit form: prefilled from `relation`, or (after a refusal) as typed, saying why."""
    shown = edit_form_values(relation) if relation else {}
    typed = {name: (values or {}).get(name, shown.get(name)) for name in _EDITABLE}
    blocks: list[Block] = [
        *problem_banner(problem),
        section(f"User {code(key.user_id)} follows customer {code(key.customer_id)}"),
        text_input(
            "template", "Template", initial=typed["template"], optional=True, multiline=True
        ),
        text_input("script", "Script", initial=typed["script"], optional=True, multiline=True),
        text_input("reference", "Reference", initial=typed["reference"], optional=True),
    ]
    if relation:
        blocks.append(
            context(
                f"Created {escape(relation.created) or '?'} · available: {_available(relation)}"
            )
        )
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        title=PlainTextObject(text="Edit relation"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=private_metadata,
        blocks=blocks,
    )


_EDITABLE = ("template", "script", "reference")
_LABELS = {name: name for name in _EDITABLE}


def changes(change: RelationChange, show: Callable[[str], str] = code) -> str:
    """Each field an edit sent, as said to the person and in the audit log."""
    return changed_fields(change.model_dump(include=set(_EDITABLE)), _LABELS, show)


def add_refused(
    error: BackendError, key: RelationKey, values: FormValues, correlation_id: str
) -> ModalOutcome:
    """A refused add: on the field it concerns, the rest of the form as typed."""
    if isinstance(error, WriteOutcomeUnknown):
        return Shown(message_modal("Add relation", write_failed(error, key, correlation_id)))
    reason = error.reason if isinstance(error, BackendRejected) else ""
    if "授权码" in reason:
        return on_field(
            "secret",
            f"UserCustomer refused this authorization code: {reason}",
            lambda problem: add_modal(secret=None, values=values, problem=problem),
        )
    if reason == "已存在":
        return on_field(
            "customer_id",
            f"User {key.user_id} already follows customer {key.customer_id} "
            f"(UserCustomer: {reason}).",
            lambda problem: add_modal(secret=None, values=values, problem=problem),
        )
    return Shown(add_modal(secret=None, values=values, problem=error.sentence))


def edit_refused(
    error: BackendError,
    key: RelationKey,
    values: FormValues,
    private_metadata: str,
    correlation_id: str,
) -> ModalOutcome:
    if isinstance(error, WriteOutcomeUnknown):
        return Shown(message_modal("Edit relation", write_failed(error, key, correlation_id)))
    return Shown(
        edit_modal(
            key, None, private_metadata=private_metadata, values=values, problem=error.sentence
        )
    )


def edit_loading(key: RelationKey) -> View:
    return loading_modal(
        "Edit relation",
        f"Loading the relation of user {code(key.user_id)} and customer {code(key.customer_id)}…",
    )


def saving(title: str) -> View:
    return loading_modal(title, "Saving…")
