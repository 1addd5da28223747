"""`/binding` forms and sentences: the add and edit modals, what a write did, what a form is
loading. Pure: models in, Block Kit and text out; the messages are `cards`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.views import View

from bot.blocks.common import (
    Block,
    changed_fields,
    code,
    context,
    escape,
    option,
    quoted,
    section,
    static_select,
)
from bot.blocks.modals import (
    ModalOutcome,
    Shown,
    form_modal,
    input_block,
    message_modal,
    on_field,
    problem_banner,
    text_input,
)
from bot.clients.errors import AlreadyBound, BackendError, ContactNotFound, WriteOutcomeUnknown
from bot.i18n import Messages
from bot.models import AccountSource, Binding, BindingChange, BindingKey, NewBinding
from handlers.bindings.cards import source_name, write_failed
from handlers.bindings.payloads import ADD_CALLBACK, EDIT_CALLBACK, EditForm


def first_line(blocks: list[Any]) -> str:
    text = getattr(getattr(blocks[0], "text", None), "text", "") if blocks else ""
    return str(text).split("\n")[0]


def added(t: Messages, binding: NewBinding) -> str:
    params = {
        "cid": code(binding.cid),
        "source": escape(t(binding.source.label)),
        "open_id": code(binding.open_id),
    }
    if binding.app_id:
        return t(
            "Contact %(cid)s is now bound to %(source)s openId %(open_id)s with appId %(app_id)s.",
            app_id=code(binding.app_id),
            **params,
        )
    return t("Contact %(cid)s is now bound to %(source)s openId %(open_id)s.", **params)


def saved(t: Messages, change: BindingChange) -> str:
    return t(
        "Saved the %(source)s binding of contact %(cid)s: %(changes)s.",
        source=escape(t(change.source.label)),
        cid=code(change.cid),
        changes=changes(t, change),
    )


def loading(t: Messages, key: BindingKey) -> str:
    return t(
        "Loading the %(source)s binding of contact %(cid)s…",
        source=escape(t(key.source.label)),
        cid=code(key.cid),
    )


# ---- modals ---------------------------------------------------------------------------------


def _source_select(t: Messages, initial: AccountSource | None) -> Block:
    options = [option(t(source.label), source.value) for source in AccountSource]
    select = static_select(
        "value",
        options,
        initial=initial.value if initial else None,
        placeholder=t("Choose a source"),
    )
    return input_block("source", t("Source"), select)


FormValues = dict[str, str | None]


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
    return form_modal(t, t("Edit binding"), t("Save"), EDIT_CALLBACK, blocks, form.encode())


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
