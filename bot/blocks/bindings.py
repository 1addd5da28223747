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
    form_modal,
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
from bot.i18n import Messages
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


def source_name(t: Messages, source: AccountSource) -> str:
    return f"{escape(t(source.label))} ({code(source.word)})"


def binding_fields(t: Messages, binding: Binding) -> list[MarkdownTextObject]:
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
        target = binding.key.args
        menu = overflow(
            MENU_ACTION, [(t("Edit"), f"edit {target}"), (t("Delete"), f"delete {target}")]
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
            query.narrowed_to(source).command_text,
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
        blocks.append(actions(share_button(t, SHARE_ACTION, query.command_text)))
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
    target = binding.key.args
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
                f"{target} {fingerprint}",
                style="danger",
                confirm=dialog,
            ),
            button(t("Cancel"), DISMISS_ACTION, target),
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
        blocks.append(actions(button(t("Look it up"), LOOKUP_ACTION, key.args)))
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
                accessory=button(t("Edit it"), MENU_ACTION, f"edit {target}")
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
                accessory=button(t("Check now"), LOOKUP_ACTION, target) if interactive else None,
            ),
            footer(t, correlation_id),
        ]
    return [section(f":x: {escape(error.say(t))}"), footer(t, correlation_id)]


# ---- modals ---------------------------------------------------------------------------------


def _source_select(t: Messages, initial: AccountSource | None) -> InputBlock:
    options = [
        Option(text=PlainTextObject(text=t(source.label)), value=source.value)
        for source in AccountSource
    ]
    initial_option = next((o for o in options if initial and o.value == initial.value), None)
    return InputBlock(
        block_id="source",
        label=PlainTextObject(text=t("Source")),
        element=StaticSelectElement(
            action_id="value",
            placeholder=PlainTextObject(text=t("Choose a source")),
            options=options,
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


def add_modal(t: Messages, values: FormValues | None = None, problem: str = "") -> View:
    """The add form; after a refusal it comes back with what was typed and why it failed."""
    typed = values or {}
    return form_modal(
        t,
        t("Add binding"),
        t("Add"),
        ADD_CALLBACK,
        [
            *problem_banner(problem),
            text_input(
                "cid", t("Contact id (cId)"), initial=typed.get("cid"), placeholder="30851821"
            ),
            _source_select(t, AccountSource.parse(typed.get("source") or "")),
            text_input(
                "open_id",
                "openId",
                initial=typed.get("open_id"),
                placeholder=t("the third-party user id"),
            ),
            text_input(
                "app_id",
                "appId",
                initial=typed.get("app_id"),
                optional=True,
                hint=t("WeChat official account id, if any"),
            ),
        ],
    )


def edit_modal(
    t: Messages,
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
        section(
            t(
                "%(source)s binding of contact %(cid)s",
                source=source_name(t, form.source),
                cid=code(form.cid),
            )
        ),
        text_input("open_id", "openId", initial=typed.get("open_id")),
        text_input("app_id", "appId", initial=typed.get("app_id"), optional=True),
    ]
    if binding is not None:
        blocks.append(context(t("Remark: %(remark)s", remark=quoted(t, binding.remark))))
    return form_modal(
        t, t("Edit binding"), t("Save"), EDIT_CALLBACK, blocks, form.model_dump_json()
    )


def add_refused(
    t: Messages, error: BackendError, key: BindingKey, values: FormValues, correlation_id: str
) -> ModalOutcome:
    """A refused add: on the field it concerns, the rest of the form as typed."""
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(t, error, key, correlation_id, interactive=False)
        return Shown(message_modal(t, t("Add binding"), blocks))
    if isinstance(error, ContactNotFound):
        return on_field(
            "cid",
            t(
                "Contact %(cid)s does not exist in bangwo8. Check the contact id.",
                cid=key.cid,
            ),
            lambda problem: add_modal(t, values, problem),
        )
    if isinstance(error, AlreadyBound):
        return on_field(
            "source",
            t(
                "Contact %(cid)s is already bound for %(source)s: change it with %(command)s.",
                cid=key.cid,
                source=t(key.source.label),
                command=f"/binding edit {key.args}",
            ),
            lambda problem: add_modal(t, values, problem),
        )
    return Shown(add_modal(t, values, error.say(t)))


def edit_refused(
    t: Messages, error: BackendError, form: EditForm, values: FormValues, correlation_id: str
) -> ModalOutcome:
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(t, error, form.key, correlation_id, interactive=False)
        return Shown(message_modal(t, t("Edit binding"), blocks))
    return Shown(edit_modal(t, form, values=values, problem=error.say(t)))


_CHANGE_LABELS = {"open_id": "openId", "app_id": "appId"}


def changes(t: Messages, change: BindingChange, show: Callable[[str], str] = code) -> str:
    """Each field an edit sent, as said to the person and in the audit log."""
    sent = change.model_dump(include=set(_CHANGE_LABELS))
    return changed_fields(t, sent, _CHANGE_LABELS, show)


def added_detail(binding: NewBinding) -> str:
    """The audit log's record of an add; the log is kept in English, as the backends' data."""
    app = f" and appId {binding.app_id}" if binding.app_id else ""
    return f"bound to openId {binding.open_id}{app}"
