"""Block Kit for bindings: lookup results, cards, delete preview, modals. Pure functions."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
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
    escape_entities,
    field,
    footer,
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
from bot.clients.errors import (
    AlreadyBound,
    BackendError,
    ContactNotFound,
    WriteOutcomeUnknown,
)
from bot.models import (
    AccountSource,
    Binding,
    BindingChange,
    BindingKey,
    BindingQuery,
    NewBinding,
    fingerprint,
)
from bot.records import BindingsBySource

MENU_ACTION = "binding_menu"
LOOKUP_ACTION = "binding_lookup"
SHARE_ACTION = "binding_share"
DELETE_ACTION = "binding_delete"
DISMISS_ACTION = "binding_dismiss"
ADD_CALLBACK = "binding_add"
EDIT_CALLBACK = "binding_edit"

# Blocks kept free for the title, notes about other sources, actions and footer.
_RESERVED_BLOCKS = 8


def source_name(source: AccountSource) -> str:
    return f"{source.label} ({code(source.word)})"


def binding_fields(binding: Binding) -> list[MarkdownTextObject]:
    return [
        field("Contact", code(binding.cid)),
        field("Source", source_name(binding.source)),
        field("openId", code(binding.open_id)),
        field("appId", code(binding.app_id) if binding.app_id else "_none_"),
        field("Account", code(binding.account) if binding.account else "_none_"),
        field("aId", code(binding.aid) if binding.aid is not None else "_none_"),
        field("Template", code(binding.template_id) if binding.template_id else "_none_"),
        field("Remark", quoted(binding.remark)),
    ]


def binding_card(binding: Binding, *, interactive: bool) -> Block:
    menu = None
    if interactive:
        target = binding.key.args
        menu = overflow(MENU_ACTION, [("Edit", f"edit {target}"), ("Delete", f"delete {target}")])
    return card(
        f"*{binding.source.label}* binding of contact {code(binding.cid)}",
        binding_fields(binding),
        accessory=menu,
    )


def _subject(query: BindingQuery) -> str:
    if query.cid is not None:
        return f"contact {code(query.cid)}"
    return f"openId {code(query.open_id or '')}"


def lookup_message(
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

    if not found and any(isinstance(e, ContactNotFound) for e in failed.values()):
        # A definite answer, not a failure: no source can have a binding for it.
        text = f"Contact {code(query.cid or '')} does not exist in bangwo8. Check the contact id."
        return [section(f":x: {text}"), footer(correlation_id)]
    blocks: list[Block] = [section(f"*Bindings of {_subject(query)}*")]
    room = MAX_MESSAGE_BLOCKS - _RESERVED_BLOCKS - len(failed)
    blocks += [binding_card(binding, interactive=interactive) for binding in found[:room]]
    if len(found) > room:
        blocks.append(
            context(f"…and {len(found) - room} more not shown. Narrow the lookup to one source.")
        )
    if not found and not failed:
        blocks.append(section(_nothing_found(query)))
    elif empty:
        names = ", ".join(source.label for source in empty)
        blocks.append(context(f"No binding for {escape(names)}."))
    for source, error in failed.items():
        retry = button(
            f"Retry {source.label}", LOOKUP_ACTION, query.narrowed_to(source).command_text
        )
        blocks.append(
            section(
                f":warning: *{source.label}* could not be checked: {escape(error.sentence)}",
                accessory=retry,
            )
        )
    if interactive:
        blocks.append(actions(share_button(SHARE_ACTION, query.command_text)))
    notes = [f"shared by <@{shared_by}>"] if shared_by else []
    sources = "1 source" if len(results) == 1 else f"{len(results)} sources"
    blocks.append(footer(correlation_id, *notes, f"{sources} in {elapsed:.1f} s"))
    return blocks


def lookup_placeholder(query: BindingQuery) -> list[Block]:
    """The ack of a lookup: shown at once, replaced by the answer."""
    where = f"{len(query.sources)} sources" if len(query.sources) > 1 else query.sources[0].label
    return [section(f":hourglass_flowing_sand: Looking up {_subject(query)} in {escape(where)}…")]


def lookup_summary(query: BindingQuery, results: BindingsBySource) -> str:
    count = sum(len(outcome) for outcome in results.values() if isinstance(outcome, list))
    subject = f"contact {query.cid}" if query.cid is not None else f"openId {query.open_id}"
    return f"{count} binding(s) of {subject}"


def _nothing_found(query: BindingQuery) -> str:
    where = "any source" if len(query.sources) > 1 else query.sources[0].label
    if query.cid is not None:
        source = query.sources[0].word if len(query.sources) == 1 else "<source>"
        add = escape_entities(f"/binding add {query.cid} {source} <openId>")
        return f"Contact {code(query.cid)} has no binding in {escape(where)}. Add one with `{add}`."
    return (
        f"No contact is bound to openId {code(query.open_id or '')} in {escape(where)}. "
        "Check the id, or look a contact up with `/binding <cId>`."
    )


def delete_preview(binding: Binding, *, fingerprint: str, correlation_id: str) -> list[Block]:
    target = binding.key.args
    dialog = confirm_dialog(
        "Request this delete?",
        f"The {escape(binding.source.label)} binding of contact {code(binding.cid)} "
        f"(openId {code(binding.open_id)}) will be deleted once an approver approves.",
        confirm="Request delete",
    )
    return [
        section(":wastebasket: *This binding would be deleted* (fetched just now):"),
        binding_card(binding, interactive=False),
        actions(
            button(
                "Delete…", DELETE_ACTION, f"{target} {fingerprint}", style="danger", confirm=dialog
            ),
            button("Cancel", DISMISS_ACTION, target),
        ),
        footer(correlation_id, "a second person approves every delete"),
    ]


def missing_binding(key: BindingKey, correlation_id: str) -> list[Block]:
    return [
        section(
            f"Contact {code(key.cid)} has no {escape(key.source.label)} binding. "
            f"See what it has with `/binding {key.cid}`."
        ),
        footer(correlation_id),
    ]


def write_done(
    sentence: str, key: BindingKey, correlation_id: str, *, interactive: bool = True
) -> list[Block]:
    blocks: list[Block] = [section(f":white_check_mark: {sentence}")]
    if interactive:
        blocks.append(actions(button("Look it up", LOOKUP_ACTION, key.args)))
    return [*blocks, footer(correlation_id)]


def write_failed(
    error: BackendError, key: BindingKey, correlation_id: str, *, interactive: bool = True
) -> list[Block]:
    """A failed add or edit as one sentence, with the next step that fits the failure.

    In a modal (not interactive) the next step is the command to type: buttons there would
    have no message to answer in.
    """
    target = key.args
    if isinstance(error, AlreadyBound):
        return [
            section(
                f"Contact {code(key.cid)} is already bound for {escape(key.source.label)}. "
                f"Change it with `/binding edit {target}`.",
                accessory=button("Edit it", MENU_ACTION, f"edit {target}") if interactive else None,
            ),
            footer(correlation_id),
        ]
    if isinstance(error, ContactNotFound):
        text = f"Contact {code(key.cid)} does not exist in bangwo8. Check the contact id."
        return [section(f":x: {text}"), footer(correlation_id)]
    if isinstance(error, WriteOutcomeUnknown):
        return [
            section(
                f":hourglass: {escape(error.sentence)} Check before trying again: "
                f"`/binding {target}`.",
                accessory=button("Check now", LOOKUP_ACTION, target) if interactive else None,
            ),
            footer(correlation_id),
        ]
    return [section(f":x: {escape(error.sentence)}"), footer(correlation_id)]


# ---- modals ---------------------------------------------------------------------------------

_SOURCE_OPTIONS = [
    Option(text=PlainTextObject(text=source.label), value=source.value) for source in AccountSource
]


def _source_select(initial: AccountSource | None) -> InputBlock:
    initial_option = next(
        (o for o in _SOURCE_OPTIONS if initial and o.value == initial.value), None
    )
    return InputBlock(
        block_id="source",
        label=PlainTextObject(text="Source"),
        element=StaticSelectElement(
            action_id="value",
            placeholder=PlainTextObject(text="Choose a source"),
            options=_SOURCE_OPTIONS,
            initial_option=initial_option,
        ),
    )


FormValues = dict[str, str | None]


def _digest(text: str) -> str:
    # What a text input shows (cut to what it holds), as its value comes back (stripped).
    return fingerprint([{"text": plain(text, 3000).strip()}])


class EditForm(BaseModel):
    """What the edit form showed, in its private_metadata: the key, and digests of the values
    (a long openId would not fit Slack's 3000 characters; only whether it changed matters)."""

    model_config = ConfigDict(frozen=True)

    cid: int
    source: AccountSource
    open_id: str
    app_id: str

    @classmethod
    def of(cls, binding: Binding) -> EditForm:
        return cls(
            cid=binding.cid,
            source=binding.source,
            open_id=_digest(binding.open_id),
            app_id=_digest(binding.app_id or ""),
        )

    @property
    def key(self) -> BindingKey:
        return BindingKey(cid=self.cid, source=self.source)

    def changed(self, name: str, typed: str) -> bool:
        shown: str = getattr(self, name)
        return _digest(typed) != shown


def add_modal(values: FormValues | None = None, problem: str = "") -> View:
    """The add form; after a refusal it comes back with what was typed and why it failed."""
    typed = values or {}
    return View(
        type="modal",
        callback_id=ADD_CALLBACK,
        title=PlainTextObject(text="Add binding"),
        submit=PlainTextObject(text="Add"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            *problem_banner(problem),
            text_input("cid", "Contact id (cId)", initial=typed.get("cid"), placeholder="30851821"),
            _source_select(AccountSource.parse(typed.get("source") or "")),
            text_input(
                "open_id",
                "openId",
                initial=typed.get("open_id"),
                placeholder="the third-party user id",
            ),
            text_input(
                "app_id",
                "appId",
                initial=typed.get("app_id"),
                optional=True,
                hint="WeChat official account id, if any",
            ),
        ],
    )


def edit_modal(
    form: EditForm,
    *,
    binding: Binding | None = None,
    values: FormValues | None = None,
    problem: str = "",
) -> View:
    """The edit form: prefilled from `binding`, or (after a refusal) as typed, saying why."""
    typed = values if values is not None else {}
    if binding is not None:
        typed = {"open_id": binding.open_id, "app_id": binding.app_id}
    blocks: list[Block] = [
        *problem_banner(problem),
        section(f"{source_name(form.source)} binding of contact {code(form.cid)}"),
        text_input("open_id", "openId", initial=typed.get("open_id")),
        text_input("app_id", "appId", initial=typed.get("app_id"), optional=True),
    ]
    if binding is not None:
        blocks.append(context(f"Remark: {quoted(binding.remark)}"))
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        title=PlainTextObject(text="Edit binding"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=form.model_dump_json(),
        blocks=blocks,
    )


def add_refused(
    error: BackendError, key: BindingKey, values: FormValues, correlation_id: str
) -> ModalOutcome:
    """A refused add: on the field it concerns, the rest of the form as typed."""
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(error, key, correlation_id, interactive=False)
        return Shown(message_modal("Add binding", blocks))
    if isinstance(error, ContactNotFound):
        return on_field(
            "cid",
            f"Contact {key.cid} does not exist in bangwo8. Check the contact id.",
            lambda problem: add_modal(values, problem),
        )
    if isinstance(error, AlreadyBound):
        return on_field(
            "source",
            f"Contact {key.cid} is already bound for {key.source.label}: "
            f"change it with /binding edit {key.args}.",
            lambda problem: add_modal(values, problem),
        )
    return Shown(add_modal(values, error.sentence))


def edit_refused(
    error: BackendError, form: EditForm, values: FormValues, correlation_id: str
) -> ModalOutcome:
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(error, form.key, correlation_id, interactive=False)
        return Shown(message_modal("Edit binding", blocks))
    return Shown(edit_modal(form, values=values, problem=error.sentence))


_CHANGE_LABELS = {"open_id": "openId", "app_id": "appId"}


def changes(change: BindingChange, show: Callable[[str], str] = code) -> str:
    """Each field an edit sent, as said to the person and in the audit log."""
    return changed_fields(change.model_dump(include=set(_CHANGE_LABELS)), _CHANGE_LABELS, show)


def added_detail(binding: NewBinding) -> str:
    app = f" and appId {binding.app_id}" if binding.app_id else ""
    return f"bound to openId {binding.open_id}{app}"
