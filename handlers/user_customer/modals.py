"""`/uc` add and edit modals (pure): the forms, and what they show after a refusal. `forms.py`
opens them and answers what they submit."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.blocks.common import Block, code, context, escape, plain, section
from bot.blocks.modals import (
    ModalOutcome,
    Shown,
    form_modal,
    loading_modal,
    message_modal,
    on_field,
    problem_banner,
    text_input,
)
from bot.clients.errors import BackendError, BackendRejected, WriteOutcomeUnknown
from bot.i18n import Messages
from bot.models import Relation, RelationKey
from handlers.user_customer.cards import write_failed
from handlers.user_customer.grammar import EDITABLE
from handlers.user_customer.payloads import ADD_CALLBACK, EDIT_CALLBACK, EditMetadata
from handlers.user_customer.views import available, follows

FormValues = dict[str, str | None]
_TEXT_LIMIT = 3000


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
    relation: Relation | None,
    metadata: EditMetadata,
    *,
    values: FormValues | None = None,
    problem: str = "",
) -> View:
    """The edit form: prefilled from `relation`, or (after a refusal) as typed, saying why."""
    shown = edit_form_values(relation) if relation else {}
    typed = {name: (values or {}).get(name, shown.get(name)) for name in EDITABLE}
    blocks: list[Block] = [
        *problem_banner(problem),
        section(follows(t, metadata.key)),
        *_text_fields(t, typed),
    ]
    if relation:
        blocks.append(
            context(
                t(
                    "Created %(created)s · available: %(available)s",
                    created=escape(relation.created) or "?",
                    available=available(t, relation),
                )
            )
        )
    title, save = t("Edit relation"), t("Save")
    return form_modal(t, title, save, EDIT_CALLBACK, blocks, metadata.encode())


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
    metadata: EditMetadata,
    values: FormValues,
    correlation_id: str,
) -> ModalOutcome:
    if isinstance(error, WriteOutcomeUnknown):
        blocks = write_failed(t, error, metadata.key, correlation_id)
        return Shown(message_modal(t, t("Edit relation"), blocks))
    return Shown(edit_modal(t, None, metadata, values=values, problem=error.say(t)))


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
