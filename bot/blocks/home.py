"""The App Home tab: who you are here, what you can type, what waits for approval, and the
language you read. Pure."""

from __future__ import annotations

from typing import Final

from babel.lists import format_list
from slack_sdk.models.views import View

from bot.blocks.common import (
    Block,
    Json,
    context,
    divider,
    escape,
    header,
    option,
    section,
    static_select,
)
from bot.blocks.help import BINDING_GRAMMAR, USER_CUSTOMER_GRAMMAR, grammar_text
from bot.i18n import FOLLOW_SLACK, LANGUAGE_NAMES, N_, Messages
from bot.records import ApprovalRequest
from bot.roles import Role

SHOWN_PENDING = 10
LANGUAGE_ACTION: Final = "home_language"

ROLE_NAMES: Final = {
    Role.VIEWER: N_("viewer"),
    Role.EDITOR: N_("editor"),
    Role.APPROVER: N_("approver"),
}


def home_view(
    t: Messages, roles: list[Role], pending: list[ApprovalRequest], *, choice: str | None
) -> View:
    """`choice`: the language the person picked here (a catalog code), None to follow Slack."""
    held = format_list([t(ROLE_NAMES[role]) for role in roles], locale=t.locale) or t("none")
    blocks: list[Block] = [
        header("support-bot"),
        section(
            t(
                "Look up and change account bindings and user-customer relations without leaving "
                "Slack. Deletes are previewed, confirmed, and run only after a second person approves."
            )
        ),
        context(t("Your roles: *%(roles)s*", roles=escape(held))),
        section(t("*Language*"), accessory=_language_select(t, choice)),
        divider(),
        section(t("*Bindings*") + "\n" + grammar_text(t, BINDING_GRAMMAR)),
        section(t("*User-customer relations*") + "\n" + grammar_text(t, USER_CUSTOMER_GRAMMAR)),
    ]
    if Role.APPROVER in roles:
        blocks += [divider(), *_pending(t, pending)]
    return View(type="home", blocks=blocks)


def _language_select(t: Messages, choice: str | None) -> Json:
    # Each language is named in itself, so whoever cannot read the current one finds theirs.
    choices = [(code, name) for code, name in LANGUAGE_NAMES.items()]
    choices.append((FOLLOW_SLACK, t("Use my Slack language")))
    options = [option(label, value) for value, label in choices]
    picked = choice if choice in LANGUAGE_NAMES else FOLLOW_SLACK
    return static_select(LANGUAGE_ACTION, options, initial=picked)


def _pending(t: Messages, pending: list[ApprovalRequest]) -> list[Block]:
    title = t("*Waiting for approval*")
    if not pending:
        return [section(title + "\n" + t("Nothing.") + " :sparkles:")]
    lines = [_pending_line(t, request) for request in pending[:SHOWN_PENDING]]
    more = len(pending) - SHOWN_PENDING
    if more > 0:
        lines.append(t.ngettext("…and %(count)d more.", "…and %(count)d more.", more))
    return [section(title + "\n" + "\n".join(lines))]


def _pending_line(t: Messages, request: ApprovalRequest) -> str:
    requester = "<@" + escape(request.requester) + ">"
    where = f" · <#{escape(request.message_channel)}>" if request.message_channel else ""
    return (
        f"#{request.id} · {escape(request.summary)} · "
        + t("from %(requester)s", requester=requester)
        + where
    )
