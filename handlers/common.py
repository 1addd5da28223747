"""What every feature's listeners share: the slash-command flow, declared role checks,
open-then-fill modals, audit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from slack_sdk.models.views import View

from bot.blocks.audit import audit_blocks
from bot.blocks.common import Block, escape, fallback_text, mrkdwn_text, notice
from bot.blocks.help import help_blocks
from bot.blocks.modals import message_modal
from bot.clients.errors import BackendError
from bot.deps import Deps
from bot.i18n import Messages
from bot.roles import Role, refusal
from handlers.context import Invocation
from handlers.modals import ModalOutcome, Submission, answer_submission
from handlers.placeholder import PlaceholderIfSlow
from handlers.words import Help, from_slack

log = logging.getLogger("handlers")


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


@dataclass(frozen=True)
class Requires:
    """A role check, declared: who may do something, and how a refusal is said and audited.

    `what` is the English (`N_`) name of what was tried, as the refusal names it; the audit
    log keeps `action` (`what` when not given). A command is refused in its ack, a form's
    submission in its modal, anything else by its response_url.
    """

    role: Role
    what: str
    action: str | None = None


@dataclass(frozen=True)
class Form:
    """A modal form, declared: its title (`N_`), and who may submit it. Roles may change
    while a form is open, so they are checked again on submit."""

    title: str
    needs: Requires


async def authorize(
    deps: Deps,
    here: Invocation,
    needs: Requires,
    *,
    feature: str,
    target: str,
    form: str | None = None,
) -> bool:
    """Whether `here.user` has the role now (from the settings as they are); when not, they
    are told which role they lack and the refusal is audited. `form` is the title (`N_`)
    of the modal a submission's refusal replaces."""
    if deps.roles.allows(here.user, needs.role):
        return True
    t = here.t
    sentence = refusal(t, needs.role, t(needs.what))
    blocks = notice(t, f":no_entry: {sentence}", here.ref)
    if form is not None:
        await here.ack(response_action="update", view=message_modal(t, t(form), blocks))
    elif here.kind == "command":
        await here.ack(text=mrkdwn_text(sentence), blocks=blocks)
    else:
        await here.respond(text=mrkdwn_text(sentence), blocks=blocks, replace_original=False)
    action = needs.action or needs.what
    log.info(
        "refused",
        extra={"user": here.user, "feature": feature, "action": action, "role": needs.role},
    )
    await audit(
        deps,
        user=here.user,
        action=action,
        feature=feature,
        target=target,
        outcome="refused",
        detail=f"needs {needs.role.value}",
    )
    return False


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


Command = TypeVar("Command")


class FeatureHandlers(Generic[Command]):
    """A slash command's listener, authorization and auditing, as every feature does them."""

    feature: str
    command: str
    grammar: Sequence[str]
    examples: str
    # The role each command needs, declared.
    needs: dict[type, Requires]

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def parse(self, text: str) -> Command | Help:
        """The command the text asks for, or `Help` (with the problem, when it is malformed)."""
        raise NotImplementedError

    def placeholder(self, t: Messages, parsed: Command) -> list[Block] | None:
        """What to show at once for a command whose answer needs a backend, if it has one."""
        raise NotImplementedError

    async def run(self, parsed: Command, here: Invocation) -> None:
        raise NotImplementedError

    def target(self, parsed: Command) -> str:
        """How the audit log names what a command acts on."""
        raise NotImplementedError

    async def on_dismiss(self, here: Invocation) -> None:
        """Cancel on a preview: the message goes away, nothing else happens."""
        await here.ack()
        await here.respond(delete_original=True)

    async def on_command(self, command: dict[str, Any], here: Invocation) -> None:
        """Parse and authorize before the ack, so a usage error or a refusal is the ack."""
        parsed = self.parse(from_slack(command.get("text", "")))
        if isinstance(parsed, Help):
            # Answered after the ack: the reader's language may need asking Slack.
            await here.ack()
            t = await self.deps.locales.messages(here.client, here.user)
            blocks = help_blocks(
                t,
                self.command,
                self.grammar,
                self.examples,
                correlation_id=here.ref,
                problem=parsed.problem.say(t) if parsed.problem else None,
            )
            text = t("How to use %(command)s", command=self.command)
            await here.respond(text=fallback_text(text), blocks=blocks)
            return
        if not await self.authorized(parsed, here):
            return
        placeholder = self.placeholder(here.t, parsed)
        await here.ack()
        await here.after_acks()
        if placeholder is None:
            await self.run(parsed, here)
            return
        # Something to see while a slow backend answers; the answer replaces it.
        async with PlaceholderIfSlow(
            here.respond, text=here.t("Looking up…"), blocks=placeholder
        ) as slow:
            await self.run(parsed, replace(here, respond=slow, in_place=True))

    async def authorized(self, parsed: Command, here: Invocation) -> bool:
        """The check `needs` declares for this command."""
        needs, target = self.needs[type(parsed)], self.target(parsed)
        return await authorize(self.deps, here, needs, feature=self.feature, target=target)

    async def authorized_run(self, parsed: Command, here: Invocation) -> None:
        """A command a button or menu carries: run when its check passes."""
        if await self.authorized(parsed, here):
            await self.run(parsed, here)

    async def submit(
        self,
        here: Invocation,
        view: dict[str, Any],
        form: Form,
        target: str,
        outcome: Callable[[], Awaitable[ModalOutcome]],
    ) -> None:
        """A form's submission, its values read: the role checked again, then the outcome
        answered in the modal (`handlers.modals`)."""
        if not await authorize(
            self.deps, here, form.needs, feature=self.feature, target=target, form=form.title
        ):
            return
        title = here.t(form.title)
        submission = Submission(
            here.ack, here.client, view, here.ref, title, self.deps.modal_budget, here.t
        )
        await answer_submission(submission, outcome())

    async def reader(self, here: Invocation) -> Invocation:
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
