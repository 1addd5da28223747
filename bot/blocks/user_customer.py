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
    form_modal,
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
from bot.i18n import Messages
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


def _available(t: Messages, relation: Relation) -> str:
    if relation.is_available is None:
        return t("unknown")
    return t("yes") if relation.is_available else t("no")


def _menu(t: Messages, relation: Relation) -> OverflowMenuElement:
    pair = target(relation.key)
    return overflow(MENU_ACTION, [(t("Edit"), f"edit {pair}"), (t("Delete"), f"delete {pair}")])


def relation_fields(t: Messages, relation: Relation) -> list[MarkdownTextObject]:
    boss_sync = t("unknown") if relation.boss_sync is None else str(relation.boss_sync)
    return [
        field(t("User"), code(relation.user_id)),
        field(t("Customer"), code(relation.customer_id)),
        field(t("Reference"), quoted(t, relation.reference)),
        field(t("Created"), escape(relation.created) or t("_unknown_")),
        field(t("Template"), quoted(t, relation.template, 500)),
        field(t("Script"), quoted(t, relation.script, 500)),
        field(t("Available"), _available(t, relation)),
        field(t("Boss sync"), boss_sync),
    ]


def _follows(t: Messages, key: RelationKey) -> str:
    return t(
        "User %(user)s follows customer %(customer)s",
        user=code(key.user_id),
        customer=code(key.customer_id),
    )


def relation_card(t: Messages, relation: Relation, *, editable: bool) -> Block:
    return card(
        _follows(t, relation.key),
        relation_fields(t, relation),
        accessory=_menu(t, relation) if editable else None,
    )


def _pair(t: Messages, key: RelationKey, *, codes: bool = True) -> str:
    show = code if codes else str
    return t(
        "user %(user)s → customer %(customer)s",
        user=show(key.user_id),
        customer=show(key.customer_id),
    )


def _created(t: Messages, relation: Relation, show: Callable[[str], str] = escape) -> str:
    return t(
        "created %(created)s · available: %(available)s",
        created=show(relation.created) or "?",
        available=_available(t, relation),
    )


def relation_line(t: Messages, relation: Relation) -> str:
    """A row as one line of mrkdwn, for pages nobody can act on (shared, or read-only)."""
    ref = t("ref %(ref)s", ref=quoted(t, relation.reference, 100))
    return f"{_pair(t, relation.key)} · {ref} · {_created(t, relation)}"


def _tick_option(t: Messages, relation: Relation) -> Option:
    head = f"{_pair(t, relation.key)} · "
    room = max(OPTION_TEXT_LIMIT - len(head), 12)
    return Option(
        value=key_value(relation.key),
        text=MarkdownTextObject(text=head + quoted(t, relation.reference, room)),
        description=PlainTextObject(text=plain(_created(t, relation, str), OPTION_TEXT_LIMIT)),
    )


def _editable_row(t: Messages, relation: Relation, command: str, ticked: bool) -> Block:
    option = _tick_option(t, relation)
    tick = CheckboxesElement(
        action_id=f"{TICK_ACTION}:{key_value(relation.key)}",
        options=[option],
        initial_options=[option] if ticked else None,
    )
    return ActionsBlock(
        block_id=row_block_id(relation.key, command), elements=[tick, _menu(t, relation)]
    )


# ---- list pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A page as asked for: what it shows and the command text of it and its neighbours.
    `title`, `empty` and `notes` are already in the reader's language."""

    title: str
    command: str
    previous: str | None
    next: str | None
    empty: str
    past_the_end: bool = False
    notes: tuple[str, ...] = ()


def _count(t: Messages, total: int) -> str:
    return t.ngettext("%(count)d relation", "%(count)d relations", total)


def _page_of(t: Messages, page: RelationPage) -> str:
    return t("page %(page)s of %(pages)s", page=page.page_index, pages=max(page.total_pages, 1))


def list_message(
    t: Messages,
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
        _count(t, page.total_records),
        t("past the last page") if listing.past_the_end else _page_of(t, page),
        *listing.notes,
    ]
    blocks.append(context(" · ".join(summary)))
    if rows and editable:
        blocks += [_editable_row(t, row, listing.command, row.key in ticked) for row in rows]
        if not ticked:
            blocks.append(context(t("Tick relations to delete several at once.")))
    elif rows:
        blocks += [section(relation_line(t, row)) for row in rows]
    else:
        blocks.append(section(listing.empty))
    if elsewhere and editable:
        blocks += _ticked_elsewhere(t, elsewhere, listing.command)
    if interactive:
        blocks.append(_list_actions(t, listing, ticked, editable))
    notes = [t("shared by %(user)s", user=f"<@{escape(shared_by)}>")] if shared_by else []
    blocks.append(footer(t, correlation_id, *notes))
    return blocks


_CHECKBOX_OPTIONS = 10


def _ticked_elsewhere(t: Messages, keys: list[RelationKey], command: str) -> list[Block]:
    """Ticks on other pages of this list travel in the message itself, as ticked boxes."""
    options = [
        Option(
            value=key_value(key),
            text=PlainTextObject(text=plain(_pair(t, key, codes=False), OPTION_TEXT_LIMIT)),
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
        context(t("Also ticked, on other pages of this list (untick to leave out):")),
        ActionsBlock(block_id=f"{_ROW_PREFIX}|elsewhere|{command}", elements=boxes),
    ]


def _list_actions(
    t: Messages, listing: Listing, ticked: frozenset[RelationKey], editable: bool
) -> Block:
    buttons: list[ButtonElement] = []
    if editable and ticked:
        buttons.append(_delete_selected(t, ticked))
    if listing.previous:
        buttons.append(button(t("◀ Previous"), PREVIOUS_ACTION, listing.previous))
    if listing.next:
        buttons.append(button(t("Next ▶"), NEXT_ACTION, listing.next))
    buttons.append(share_button(t, SHARE_ACTION, listing.command))
    return actions(*buttons)


def _delete_selected(t: Messages, ticked: frozenset[RelationKey]) -> ButtonElement:
    """No dialog here: the preview it opens has the one confirm, on its Delete button."""
    selection = RelationSelection.of(sorted(ticked, key=lambda k: (k.user_id, k.customer_id)))
    return button(
        t("Delete selected (%(count)s)", count=len(ticked)),
        DELETE_SELECTED_ACTION,
        selection.to_text(),
        style="danger",
    )


def list_summary(t: Messages, page: RelationPage) -> str:
    """The plain fallback text of a page (notifications show it)."""
    return f"{_count(t, page.total_records)}, {_page_of(t, page)}"


def relation_message(
    t: Messages,
    relation: Relation,
    *,
    command: str,
    editable: bool,
    correlation_id: str,
    shared_by: str | None,
) -> list[Block]:
    blocks: list[Block] = [relation_card(t, relation, editable=editable and shared_by is None)]
    if shared_by is None:
        blocks.append(actions(share_button(t, SHARE_ACTION, command)))
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


def lookup_placeholder(t: Messages, what: str) -> list[Block]:
    """The ack of a lookup: shown at once, replaced by the answer."""
    return [section(t(":hourglass_flowing_sand: Looking up %(what)s…", what=what))]


def lookup_failed(
    t: Messages, error: BackendError, command: str, correlation_id: str
) -> list[Block]:
    return [
        section(
            f":x: {escape(error.say(t))}",
            accessory=button(t("Try again"), RETRY_ACTION, command),
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
                f"{selection.to_text()} {fingerprint}",
                style="danger",
                confirm=dialog,
            ),
            button(t("Cancel"), DISMISS_ACTION, selection.to_text()),
        ),
        footer(t, correlation_id, t("a second person approves every delete")),
    ]
    return blocks


# ---- writes ---------------------------------------------------------------------------------


def write_done(t: Messages, sentence: str, key: RelationKey, correlation_id: str) -> list[Block]:
    return [
        section(f":white_check_mark: {sentence}"),
        context(t("See it with %(command)s.", command=f"`/uc get {target(key)}`")),
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
            command=f"`/uc get {target(key)}`",
        )
    else:
        text = f":x: {escape(error.say(t))}"
    return [section(text), footer(t, correlation_id)]


# ---- modals ---------------------------------------------------------------------------------

FormValues = dict[str, str | None]


def _text_fields(t: Messages, typed: FormValues) -> list[Block]:
    return [
        text_input(
            "template", t("Template"), initial=typed.get("template"), optional=True, multiline=True
        ),
        text_input(
            "script", t("Script"), initial=typed.get("script"), optional=True, multiline=True
        ),
        text_input("reference", t("Reference"), initial=typed.get("reference"), optional=True),
    ]


def add_modal(
    t: Messages, *, secret: str | None, values: FormValues | None = None, problem: str = ""
) -> View:
    """The add form; after a refusal it comes back with what was typed and why it failed."""
    typed = values or {}
    blocks: list[Block] = problem_banner(problem)
    blocks += [
        text_input("user_id", t("User id"), initial=typed.get("user_id"), placeholder="998"),
        text_input(
            "customer_id", t("Customer id"), initial=typed.get("customer_id"), placeholder="1001"
        ),
        text_input(
            "secret",
            t("Authorization code (secret)"),
            initial=typed.get("secret") or secret,
            hint=t("The customer's authorization code; UserCustomer checks it."),
        ),
        *_text_fields(t, typed),
    ]
    return form_modal(t, t("Add relation"), t("Add"), ADD_CALLBACK, blocks)


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
    t: Messages,
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
        section(_follows(t, key)),
        *_text_fields(t, typed),
    ]
    if relation:
        blocks.append(
            context(
                t(
                    "Created %(created)s · available: %(available)s",
                    created=escape(relation.created) or "?",
                    available=_available(t, relation),
                )
            )
        )
    return form_modal(t, t("Edit relation"), t("Save"), EDIT_CALLBACK, blocks, private_metadata)


_EDITABLE = ("template", "script", "reference")
_LABELS = {name: name for name in _EDITABLE}


def changes(t: Messages, change: RelationChange, show: Callable[[str], str] = code) -> str:
    """Each field an edit sent, as said to the person and in the audit log."""
    return changed_fields(t, change.model_dump(include=set(_EDITABLE)), _LABELS, show)


def add_refused(
    t: Messages, error: BackendError, key: RelationKey, values: FormValues, correlation_id: str
) -> ModalOutcome:
    """A refused add: on the field it concerns, the rest of the form as typed."""

    def form(problem: str) -> View:
        return add_modal(t, secret=None, values=values, problem=problem)

    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(t, error, key, correlation_id)
        return Shown(message_modal(t, t("Add relation"), blocks))
    reason = error.reason if isinstance(error, BackendRejected) else ""
    if "授权码" in reason:
        return on_field(
            "secret",
            t("UserCustomer refused this authorization code: %(reason)s", reason=reason),
            form,
        )
    if reason == "已存在":
        return on_field(
            "customer_id",
            t(
                "User %(user)s already follows customer %(customer)s (UserCustomer: %(reason)s).",
                user=key.user_id,
                customer=key.customer_id,
                reason=reason,
            ),
            form,
        )
    return Shown(form(error.say(t)))


def edit_refused(
    t: Messages,
    error: BackendError,
    key: RelationKey,
    values: FormValues,
    private_metadata: str,
    correlation_id: str,
) -> ModalOutcome:
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(t, error, key, correlation_id)
        return Shown(message_modal(t, t("Edit relation"), blocks))
    return Shown(
        edit_modal(
            t, key, None, private_metadata=private_metadata, values=values, problem=error.say(t)
        )
    )


def edit_loading(t: Messages, key: RelationKey) -> View:
    return loading_modal(
        t,
        t("Edit relation"),
        t(
            "Loading the relation of user %(user)s and customer %(customer)s…",
            user=code(key.user_id),
            customer=code(key.customer_id),
        ),
    )


def saving(t: Messages, title: str) -> View:
    return loading_modal(t, title, t("Saving…"))
