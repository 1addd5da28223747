"""What every feature's handlers share: option parsing, modal values, audit, refusals."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.audit import audit_blocks
from bot.blocks.common import code, escape, fallback_text, message_modal, mrkdwn_text, notice
from bot.blocks.help import help_blocks
from bot.clients.errors import BackendError
from bot.deps import Deps
from bot.i18n import N_, SOURCE_LANGUAGE, Messages, Sentence, messages
from bot.roles import Role, refusal
from handlers.modals import Submission
from handlers.placeholder import PlaceholderIfSlow

log = logging.getLogger("handlers")


class UsageError(ValueError):
    """What was wrong with the typed input, as a sentence (`N_` message and parameters),
    said in the reader's language once the reader is known."""

    def __init__(self, message: str, /, **params: object) -> None:
        self.text = Sentence(message, **params)
        super().__init__(str(self.text))


# Commands every feature's grammar has.


@dataclass(frozen=True)
class Help:
    problem: Sentence | None = None


@dataclass(frozen=True)
class OpenAddModal:
    pass


@dataclass(frozen=True)
class ShowAudit:
    limit: int


@dataclass(frozen=True)
class Invocation:
    """Who asked, from where, and how to answer them."""

    user: str
    channel: str
    trigger_id: str | None
    respond: AsyncRespond
    client: AsyncWebClient
    ref: str
    # Answer by replacing the message (a placeholder, a page turned) instead of adding one.
    in_place: bool = False
    # The reader's language: inside the ack, the one known without asking Slack; handlers
    # replace it with `FeatureHandlers.reader` after the ack.
    t: Messages = field(default_factory=lambda: messages(SOURCE_LANGUAGE))


Found = TypeVar("Found")


async def open_then_fill(
    here: Invocation,
    title: str,
    loading: View,
    fetch: Callable[[], Awaitable[Found]],
    fill: Callable[[Found], View],
) -> None:
    """A modal that needs backend data: the trigger_id dies 3 s after the click, so the
    loading view opens first, the data is fetched after, and the view is filled with it (or
    with the backend's refusal, said in one sentence)."""
    t = here.t
    opened = await here.client.views_open(trigger_id=here.trigger_id, view=loading)
    try:
        found = await fetch()
    except BackendError as error:
        view = message_modal(t, title, notice(t, f":x: {escape(error.say(t))}", here.ref))
    else:
        view = fill(found)
    await here.client.views_update(
        view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view
    )


_Here = TypeVar("_Here", bound=Invocation)


def channel_of(body: dict[str, Any]) -> str:
    """Where a block action happened: its channel, or its message's container."""
    channel: str = (body.get("channel") or {}).get("id") or body.get("container", {}).get(
        "channel_id", ""
    )
    return channel


def invocation_of(
    body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
) -> Invocation:
    """The invocation behind a block action (a button, a menu, a tick)."""
    return Invocation(
        body["user"]["id"],
        channel_of(body),
        body.get("trigger_id"),
        respond,
        client,
        context["correlation_id"],
    )


# A word is parts without spaces between: bare, or "double-quoted" (straight or curled, as
# Slack's apps may type them) holding anything, with \" and \\ inside.
_WORD_PART = re.compile(r'"((?:[^"\\]|\\.)*)"|“((?:[^”\\]|\\.)*)”|([^\s"“]+)', re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_QUOTES = re.compile(r'[\s"“”\\]')


def words_of(text: str) -> list[str]:
    """The words of a command, quotes read: `ref="VIP gold"` is one word, `ref=VIP gold`."""
    words: list[str] = []
    position, word = 0, None
    while position < len(text):
        if text[position].isspace():
            if word is not None:
                words.append(word)
            position, word = position + 1, None
            continue
        match = _WORD_PART.match(text, position)
        if match is None:
            raise UsageError(N_('A quote is not closed: end the value with `"`.'))
        quoted = match[1] if match[1] is not None else match[2]
        part = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else match[3]
        word, position = (word or "") + part, match.end()
    if word is not None:
        words.append(word)
    return words


def quote(value: str) -> str:
    """A value as `words_of` reads it back: quoted when it holds spaces, quotes or backslashes."""
    if value and not _NEEDS_QUOTES.search(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_slack(text: str) -> str:
    """Slash command text as typed: Slack sends `&`, `<` and `>` as HTML entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_options(tokens: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Separate positional words from `key=value` options (which may come in any order)."""
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.isidentifier() and key.lower() in {"from", "to", "page", "size"}:
            if key.lower() in options:
                raise UsageError(N_("%(option)s is given twice."), option=code(key + "="))
            options[key.lower()] = value
        else:
            words.append(token)
    return words, options


_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
_DIGITS = re.compile(r"[0-9]+")
MAX_ID_DIGITS = 18


def too_large(text: str) -> bool:
    """A whole number with more digits than any id the backends hold (they take 64-bit ints)."""
    return bool(_DIGITS.fullmatch(text)) and len(text.lstrip("0")) > MAX_ID_DIGITS


def as_positive_int(text: str) -> int | None:
    """A positive id as typed, or None. ASCII digits only: `str.isdigit` accepts `²`."""
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) <= 0:
        return None
    return int(text)


def positive_int(text: str, what: str) -> int:
    """`what` names the number (marked with `N_`, or a code span such as `page=`)."""
    number = as_positive_int(text)
    if too_large(text):
        raise UsageError(
            N_("%(what)s %(value)s is too large: ids have at most %(digits)s digits."),
            what=Sentence(what),
            value=code(text),
            digits=MAX_ID_DIGITS,
        )
    if number is None:
        raise UsageError(
            N_("%(what)s must be a positive whole number, not %(value)s."),
            what=Sentence(what),
            value=code(text),
        )
    return number


def view_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The submitted values of a modal, by block id (inputs use the action id `value`)."""
    values: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        state = actions.get("value", {})
        if state.get("type") == "static_select":
            option = state.get("selected_option")
            values[block_id] = option["value"] if option else None
        else:
            value = state.get("value")
            values[block_id] = value.strip() if isinstance(value, str) else None
    return values


async def audit(
    deps: Deps,
    *,
    user: str,
    action: str,
    feature: str,
    target: str,
    outcome: str,
    detail: str = "",
) -> None:
    await deps.store.audit(
        actor=user,
        action=action,
        feature=feature,
        target=target,
        outcome=outcome,
        detail=detail,
        now=deps.clock(),
    )


async def refuse(
    deps: Deps,
    *,
    user: str,
    role: Role,
    what: str,
    feature: str,
    action: str,
    target: str,
    ref: str,
    ack: AsyncAck | None = None,
    respond: AsyncRespond | None = None,
) -> None:
    """Tell the person which role they lack (in the ack when there is one) and audit it.
    `what` is the English (`N_`) name of what they tried; the audit log keeps it so."""
    t = deps.locales.known(user)
    sentence = refusal(t, role, t(what))
    blocks = notice(t, f":no_entry: {sentence}", ref)
    if ack is not None:
        await ack(text=mrkdwn_text(sentence), blocks=blocks)
    elif respond is not None:
        await respond(text=mrkdwn_text(sentence), blocks=blocks, replace_original=False)
    log.info("refused", extra={"user": user, "feature": feature, "action": action, "role": role})
    await audit(
        deps,
        user=user,
        action=action,
        feature=feature,
        target=target,
        outcome="refused",
        detail=f"needs {role.value}",
    )


async def show_audit(
    deps: Deps, feature: str, limit: int, here: Invocation, correlation_id: str
) -> None:
    entries = await deps.store.recent_audit(min(limit, 200), feature=feature)
    t = await deps.locales.messages(here.client, here.user)
    await here.respond(
        text=fallback_text(t("Audit log of /%(feature)s", feature=feature)),
        blocks=audit_blocks(t, feature, entries, correlation_id),
        replace_original=False,
    )


class FeatureHandlers:
    """A slash command's listener, authorization and auditing, as every feature does them."""

    feature: str
    command: str
    grammar: Sequence[str]
    examples: str
    # What each command needs, and how a refusal names it.
    needs: dict[type, tuple[Role, str]]

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, text: str) -> object:
        """The command the text asks for, or `Help` (with the problem, when it is malformed)."""
        raise NotImplementedError

    def placeholder(self, t: Messages, parsed: object) -> list[Block] | None:
        """What to show at once for a command whose answer needs a backend, if it has one."""
        raise NotImplementedError

    async def run(self, parsed: object, here: Invocation) -> None:
        raise NotImplementedError

    def target(self, parsed: object) -> str:
        """How the audit log names what a command acts on."""
        raise NotImplementedError

    async def on_dismiss(self, ack: AsyncAck, respond: AsyncRespond) -> None:
        """Cancel on a preview: the message goes away, nothing else happens."""
        await ack()
        await respond(delete_original=True)

    async def on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Parse and authorize before the ack, so a usage error or a refusal is the ack."""
        ref = context["correlation_id"]
        parsed = self.parse(from_slack(command.get("text", "")))
        if isinstance(parsed, Help):
            # Answered after the ack: the reader's language may need asking Slack.
            await ack()
            t = await self.deps.locales.messages(client, command["user_id"])
            blocks = help_blocks(
                t,
                self.command,
                self.grammar,
                self.examples,
                correlation_id=ref,
                problem=parsed.problem.say(t) if parsed.problem else None,
            )
            text = t("How to use %(command)s", command=self.command)
            await respond(text=fallback_text(text), blocks=blocks)
            return
        here = Invocation(
            command["user_id"],
            command["channel_id"],
            command.get("trigger_id"),
            respond,
            client,
            ref,
            t=self.deps.locales.known(command["user_id"]),
        )
        if not await self.authorized(parsed, here, ack=ack):
            return
        placeholder = self.placeholder(here.t, parsed)
        if placeholder is None:
            await ack()
            await self.run(parsed, here)
            return
        # Something to see while a slow backend answers; the answer replaces it.
        await ack()
        async with PlaceholderIfSlow(
            here.respond, text=here.t("Looking up…"), blocks=placeholder
        ) as slow:
            await self.run(parsed, replace(here, respond=slow, in_place=True))

    async def authorized(
        self, parsed: object, here: Invocation, *, ack: AsyncAck | None = None
    ) -> bool:
        role, what = self.needs[type(parsed)]
        if self.deps.roles.allows(here.user, role):
            return True
        await refuse(
            self.deps,
            user=here.user,
            role=role,
            what=what,
            feature=self.feature,
            action=what,
            target=self.target(parsed),
            ref=here.ref,
            ack=ack,
            respond=None if ack else here.respond,
        )
        return False

    async def editor_in_modal(
        self,
        ack: AsyncAck,
        *,
        user: str,
        action: str,
        what: str,
        title: str,
        target: str,
        ref: str,
    ) -> bool:
        """Roles may change while a form is open: check again on submit, refuse in the modal."""
        if self.deps.roles.allows(user, Role.EDITOR):
            return True
        t = self.deps.locales.known(user)
        sentence = refusal(t, Role.EDITOR, t(what))
        await ack(
            response_action="update",
            view=message_modal(t, t(title), notice(t, f":no_entry: {sentence}", ref)),
        )
        await audit(
            self.deps,
            user=user,
            action=action,
            feature=self.feature,
            target=target,
            outcome="refused",
            detail="needs editor",
        )
        return False

    def submission(
        self,
        ack: AsyncAck,
        client: AsyncWebClient,
        view: dict[str, Any],
        ref: str,
        title: str,
        t: Messages,
    ) -> Submission:
        return Submission(ack, client, view, ref, title, self.deps.modal_budget, t)

    async def reader(self, here: _Here) -> _Here:
        """The invocation in its reader's language: call it after the ack."""
        return replace(here, t=await self.deps.locales.messages(here.client, here.user))

    async def audit_write(
        self, action: str, target: str, user: str, error: BackendError | None, detail: str = ""
    ) -> None:
        await audit(
            self.deps,
            user=user,
            action=action,
            feature=self.feature,
            target=target,
            outcome="ok" if error is None else type(error).__name__,
            detail=error.sentence if error else detail,
        )
