"""`/uc`: look up, add, edit and preview deletes of user-customer relations."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import user_customer as ui
from bot.blocks.common import code, escape, fallback_text, message_modal, notice
from bot.blocks.help import UC_EXAMPLES, UC_GRAMMAR
from bot.clients.errors import BackendError
from bot.i18n import N_, SOURCE_LANGUAGE, Messages, messages
from bot.models import (
    Condition,
    NewRelation,
    Operator,
    Relation,
    RelationChange,
    RelationField,
    RelationKey,
    RelationPage,
    RelationQuery,
    RelationSelection,
    fingerprint,
)
from bot.roles import Role
from handlers import common
from handlers.common import (
    MAX_ID_DIGITS,
    FeatureHandlers,
    Help,
    OpenAddModal,
    ShowAudit,
    UsageError,
    as_positive_int,
    invocation_of,
    metadata,
    positive_int,
    quote,
    read_metadata,
    show_audit,
    split_options,
    too_large,
    view_values,
    words_of,
)
from handlers.modals import ModalOutcome, Shown, answer_submission

log = logging.getLogger("handlers.user_customer")
FEATURE = "uc"


# ---- grammar --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRelations:
    query: RelationQuery
    # The page size asked for, when it was more than a message holds.
    asked_size: int | None = None


@dataclass(frozen=True)
class Follows:
    user_id: int
    page: int = 1
    size: int = ui.DEFAULT_PAGE_SIZE
    asked_size: int | None = None


@dataclass(frozen=True)
class GetRelation:
    key: RelationKey


@dataclass(frozen=True)
class OpenEditModal:
    key: RelationKey


@dataclass(frozen=True)
class PreviewDelete:
    selection: RelationSelection


PageCommand = ListRelations | Follows
Lookup = ListRelations | Follows | GetRelation
UcCommand = (
    Help
    | ListRelations
    | Follows
    | GetRelation
    | OpenAddModal
    | OpenEditModal
    | PreviewDelete
    | ShowAudit
)

_NEEDS: dict[type, tuple[Role, str]] = {
    ListRelations: (Role.VIEWER, N_("look up relations")),
    Follows: (Role.VIEWER, N_("look up relations")),
    GetRelation: (Role.VIEWER, N_("look up relations")),
    OpenAddModal: (Role.EDITOR, N_("add relations")),
    OpenEditModal: (Role.EDITOR, N_("edit relations")),
    PreviewDelete: (Role.EDITOR, N_("delete relations")),
    ShowAudit: (Role.APPROVER, N_("read the audit log")),
}

_FIELDS: dict[str, RelationField] = {
    "user": RelationField.USER_ID,
    "customer": RelationField.CUSTOMER_ID,
    "ref": RelationField.REFERENCE,
    **{field.value: field for field in RelationField},
}
_OPERATORS: dict[str, Operator] = {
    "=": Operator.EQ,
    "!=": Operator.NE,
    ">": Operator.GT,
    "<": Operator.LT,
    ">=": Operator.GE,
    "<=": Operator.LE,
    "~": Operator.LIKE,
}
_SYMBOLS = {operator: symbol for symbol, operator in _OPERATORS.items()}
# Two-character operators first, so `>=` is not read as `>` followed by `=`.
_FILTER = re.compile(r"([A-Za-z_]+)(!=|>=|<=|=|>|<|~)(.*)", re.DOTALL)
_NUMERIC = frozenset(
    {
        RelationField.USER_ID,
        RelationField.CUSTOMER_ID,
        RelationField.IS_AVAILABLE,
        RelationField.BOSS_SYNC,
    }
)
# A page's command rides in its rows' block ids, next to the row's key.
MAX_COMMAND_LENGTH = ui.BLOCK_ID_LIMIT - 60


_USER_ID = N_("The user id")


def parse_filter(word: str) -> Condition:
    match = _FILTER.fullmatch(word)
    if match is None:
        raise UsageError(
            N_("%(word)s is not a filter; write %(form)s, e.g. %(example)s."),
            word=code(word),
            form=code("<field><op><value>"),
            example="`user=998` or `ref~VIP`",
        )
    name, symbol, value = match.groups()
    field = _FIELDS.get(name.lower())
    if field is None:
        raise UsageError(
            N_(
                "%(word)s is not a field; use user, customer, ref, template, script, "
                "is_available or boss_sync."
            ),
            word=code(name),
        )
    operator = _OPERATORS[symbol]
    if (
        field in _NUMERIC
        and operator is not Operator.LIKE
        and not (value.isascii() and value.isdigit())
    ):
        raise UsageError(
            N_("%(field)s compares with a whole number, not %(value)s."),
            field=f"`{field.value}`",
            value=code(value),
        )
    return Condition(field=field, op=operator, value=value)


def _date(options: dict[str, str], name: str) -> date | None:
    if name not in options:
        return None
    text = options[name]
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(
            N_("%(option)s is not a date; write YYYY-MM-DD, e.g. %(example)s."),
            option=code(f"{name}={text}"),
            example=f"`{name}=2018-11-28`",
        ) from None


def _paging(options: dict[str, str]) -> tuple[int, int, int | None]:
    """Page, size, and the size asked for when it had to be capped."""
    page = positive_int(options["page"], "`page=`") if "page" in options else 1
    size = positive_int(options["size"], "`size=`") if "size" in options else None
    if size is None:
        return page, ui.DEFAULT_PAGE_SIZE, None
    if size > ui.MAX_PAGE_SIZE:
        return page, ui.MAX_PAGE_SIZE, size
    return page, size, None


def _key(words: list[str], verb: str) -> RelationKey:
    if len(words) != 2:
        raise UsageError(
            N_("%(verb)s takes a user id and a customer id, e.g. %(example)s."),
            verb=f"`{verb}`",
            example=f"`/uc {verb} 998 1001`",
        )
    return RelationKey(
        user_id=positive_int(words[0], _USER_ID),
        customer_id=positive_int(words[1], N_("The customer id")),
    )


def parse_uc_command(text: str) -> UcCommand:
    try:
        return _parse(words_of(text))
    except UsageError as problem:
        return Help(problem=problem.text)


def _parse(words: list[str]) -> UcCommand:
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb == "list":
        return _parse_list(rest)
    if verb == "follows":
        return _parse_follows(rest)
    if verb == "get":
        return GetRelation(_key(rest, "get"))
    if verb == "add":
        if rest:
            raise UsageError(N_("%(verb)s takes nothing: it opens a form."), verb="`add`")
        return OpenAddModal()
    if verb == "edit":
        return OpenEditModal(_key(rest, "edit"))
    if verb == "delete":
        return _parse_delete(rest)
    if verb == "audit":
        return ShowAudit(positive_int(rest[0], N_("The number of entries")) if rest else 20)
    raise UsageError(
        N_("%(word)s is not something %(command)s does."), word=code(words[0]), command="`/uc`"
    )


def _parse_list(rest: list[str]) -> ListRelations:
    words, options = split_options(rest)
    start, end = _date(options, "from"), _date(options, "to")
    if start and end and start > end:
        raise UsageError(
            N_("%(start)s is after %(end)s."), start=f"`from={start}`", end=f"`to={end}`"
        )
    page, size, asked = _paging(options)
    parsed = ListRelations(
        RelationQuery(
            conditions=tuple(parse_filter(word) for word in words),
            start_time=f"{start} 00:00:00" if start else None,
            end_time=f"{end} 23:59:59" if end else None,
            page=page,
            size=size,
        ),
        asked,
    )
    if len(command_text(parsed)) > MAX_COMMAND_LENGTH:
        raise UsageError(
            N_(
                "Those filters are too long to page through in Slack; keep them under "
                "%(count)s characters."
            ),
            count=MAX_COMMAND_LENGTH,
        )
    return parsed


def _parse_follows(rest: list[str]) -> Follows:
    words, options = split_options(rest)
    if len(words) != 1:
        raise UsageError(
            N_("%(verb)s takes one user id, e.g. %(example)s."),
            verb="`follows`",
            example="`/uc follows 998`",
        )
    if extra := sorted(options.keys() - {"page", "size"}):
        raise UsageError(
            N_("%(verb)s takes only %(page)s and %(size)s, not %(option)s."),
            verb="`follows`",
            page="`page=`",
            size="`size=`",
            option=f"`{extra[0]}=`",
        )
    page, size, asked = _paging(options)
    return Follows(positive_int(words[0], _USER_ID), page, size, asked)


def _parse_delete(rest: list[str]) -> PreviewDelete:
    if len(rest) < 2:
        raise UsageError(
            N_("%(verb)s takes a user id and customer ids, e.g. %(example)s."),
            verb="`delete`",
            example="`/uc delete 998 1001,1002`",
        )
    user = positive_int(rest[0], _USER_ID)
    customers = [part for part in ",".join(rest[1:]).split(",") if part]
    keys = [
        RelationKey(user_id=user, customer_id=positive_int(customer, N_("A customer id")))
        for customer in customers
    ]
    selection = RelationSelection.of(keys)
    if len(selection.keys) > ui.MAX_DELETE:
        raise UsageError(
            N_("At most %(count)s relations can be deleted at once."), count=ui.MAX_DELETE
        )
    return PreviewDelete(selection)


def command_text(parsed: Lookup) -> str:
    """The `/uc` arguments that repeat a lookup (button values and row block ids carry them)."""
    match parsed:
        case ListRelations(query):
            parts = ["list"]
            parts += [f"{c.field.value}{_SYMBOLS[c.op]}{quote(c.value)}" for c in query.conditions]
            if query.start_time:
                parts.append(f"from={query.start_time[:10]}")
            if query.end_time:
                parts.append(f"to={query.end_time[:10]}")
            return " ".join([*parts, f"page={query.page}", f"size={query.size}"])
        case Follows(user_id, page, size):
            return f"follows {user_id} page={page} size={size}"
        case GetRelation(key):
            return f"get {ui.target(key)}"


def _page_number(parsed: PageCommand) -> int:
    return parsed.query.page if isinstance(parsed, ListRelations) else parsed.page


def _at_page(parsed: PageCommand, page: int) -> PageCommand:
    if isinstance(parsed, ListRelations):
        return ListRelations(parsed.query.model_copy(update={"page": page}))
    return Follows(parsed.user_id, page, parsed.size)


def _title(t: Messages, parsed: PageCommand) -> str:
    if isinstance(parsed, Follows):
        return t("Customers followed by user %(user)s", user=code(parsed.user_id))
    query = parsed.query
    where = t(" and ").join(
        f"{code(c.field.value)} {escape(c.op.value)} {code(c.value)}" for c in query.conditions
    )
    created = _created_range(t, query)
    if not where:
        return t("Relations %(created)s", created=created) if created else t("All relations")
    if created:
        return t("Relations where %(where)s, %(created)s", where=where, created=created)
    return t("Relations where %(where)s", where=where)


def _created_range(t: Messages, query: RelationQuery) -> str:
    start, end = (query.start_time or "")[:10], (query.end_time or "")[:10]
    if start and end:
        return t("created %(start)s → %(end)s", start=start, end=end)
    if start:
        return t("created from %(start)s", start=start)
    return t("created until %(end)s", end=end) if end else ""


def _past_the_end(parsed: PageCommand, page: RelationPage) -> bool:
    return _page_number(parsed) > max(page.total_pages, 1)


def _empty(t: Messages, parsed: PageCommand, page: RelationPage) -> str:
    if _past_the_end(parsed, page):
        number = _page_number(parsed)
        if not page.total_records:
            return t("Page %(page)s is past the end: nothing matches at all.", page=number)
        return t.ngettext(
            "Page %(page)s is past the end: there is %(count)d page.",
            "Page %(page)s is past the end: there are %(count)d pages.",
            page.total_pages,
            page=number,
        )
    if isinstance(parsed, Follows):
        return t(
            "User %(user)s follows no customer. Check the id, or add a relation with %(command)s.",
            user=code(parsed.user_id),
            command="`/uc add`",
        )
    if parsed.query.conditions or parsed.query.start_time or parsed.query.end_time:
        return t(
            "No relation matches. Loosen the filters, or see them all with %(command)s.",
            command="`/uc list`",
        )
    return t("There are no relations yet. Add one with %(command)s.", command="`/uc add`")


def _listing(t: Messages, parsed: PageCommand, page: RelationPage) -> ui.Listing:
    number = _page_number(parsed)
    last = max(page.total_pages, 1)
    # Past the end, Previous goes to the last page, when there is one to go to.
    previous = (
        _at_page(parsed, min(number - 1, last)) if number > 1 and page.total_records else None
    )
    following = _at_page(parsed, number + 1) if number < page.total_pages else None
    size = parsed.query.size if isinstance(parsed, ListRelations) else parsed.size
    notes = (
        (
            t(
                "%(size)s per page, the most one message holds (you asked for %(asked)s)",
                size=size,
                asked=parsed.asked_size,
            ),
        )
        if parsed.asked_size
        else ()
    )
    return ui.Listing(
        title=_title(t, parsed),
        command=command_text(parsed),
        previous=command_text(previous) if previous else None,
        next=command_text(following) if following else None,
        empty=_empty(t, parsed, page),
        past_the_end=_past_the_end(parsed, page),
        notes=notes,
    )


# ---- forms ----------------------------------------------------------------------------------

_EDITABLE = ("template", "script", "reference")
_EXAMPLE_IDS = {"user_id": 998, "customer_id": 1001}
_NOTHING_CHANGED = N_("Nothing changed: edit the template, script or reference, or press Cancel.")
_TOO_LARGE = {
    "user_id": N_("The user id is too large: ids have at most %(digits)s digits."),
    "customer_id": N_("The customer id is too large: ids have at most %(digits)s digits."),
}
_NOT_A_NUMBER = {
    "user_id": N_("The user id is a positive whole number, like %(example)s."),
    "customer_id": N_("The customer id is a positive whole number, like %(example)s."),
}


def _form_id(t: Messages, values: dict[str, str | None], name: str, errors: dict[str, str]) -> int:
    number = as_positive_int(values.get(name) or "")
    if number is None:
        errors[name] = (
            t(_TOO_LARGE[name], digits=MAX_ID_DIGITS)
            if too_large(values.get(name) or "")
            else t(_NOT_A_NUMBER[name], example=_EXAMPLE_IDS[name])
        )
        return 0
    return number


def read_add_form(
    t: Messages, values: dict[str, str | None]
) -> tuple[NewRelation | None, dict[str, str]]:
    errors: dict[str, str] = {}
    user = _form_id(t, values, "user_id", errors)
    customer = _form_id(t, values, "customer_id", errors)
    if not values.get("secret"):
        errors["secret"] = t("Enter the customer's authorization code.")
    if errors:
        return None, errors
    return NewRelation(
        user_id=user,
        customer_id=customer,
        secret=values.get("secret") or "",
        template=values.get("template") or None,
        script=values.get("script") or None,
        reference=values.get("reference") or None,
    ), {}


def _digest(text: str) -> str:
    return fingerprint([{"text": text}])


def _shown_digests(relation: Relation) -> dict[str, str]:
    """What the edit form showed, digested: fields left as shown are not sent back."""
    shown = ui.edit_form_values(relation)
    return {name: _digest(shown[name].strip()) for name in _EDITABLE}


def read_edit_form(values: dict[str, str | None], shown: dict[str, str]) -> dict[str, str]:
    """The fields a person changed; an emptied field is sent empty, to clear it."""
    typed = {name: values.get(name) or "" for name in _EDITABLE}
    return {name: text for name, text in typed.items() if _digest(text) != shown.get(name)}


# ---- listeners ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation(common.Invocation):
    """An invocation, and what the message it acted on holds."""

    ticked: frozenset[RelationKey] = frozenset()


class UserCustomerHandlers(FeatureHandlers):
    feature = FEATURE
    command = "/uc"
    grammar = UC_GRAMMAR
    examples = UC_EXAMPLES
    needs = _NEEDS

    def parse(self, text: str) -> UcCommand:
        return parse_uc_command(text)

    def placeholder(self, t: Messages, parsed: object) -> list[Block] | None:
        what = _placeholder(t, parsed)
        return None if what is None else ui.lookup_placeholder(t, what)

    def target(self, parsed: object) -> str:
        return _target(parsed)

    def register(self, app: AsyncApp) -> None:
        app.command("/uc")(self.on_command)
        app.action(ui.MENU_ACTION)(self.on_menu)
        for action_id in (ui.PREVIOUS_ACTION, ui.NEXT_ACTION, ui.RETRY_ACTION):
            app.action(action_id)(self.on_again)
        app.action(re.compile(f"^{re.escape(ui.TICK_ACTION)}:"))(self.on_tick)
        app.action(ui.SHARE_ACTION)(self.on_share)
        app.action(ui.DELETE_SELECTED_ACTION)(self.on_delete_selected)
        app.action(ui.DISMISS_ACTION)(self.on_dismiss)
        app.view(ui.ADD_CALLBACK)(self.on_add_submitted)
        app.view(ui.EDIT_CALLBACK)(self.on_edit_submitted)

    async def on_menu(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        value = (action.get("selected_option") or {}).get("value", "")
        here = _invocation(body, respond, client, context)
        await self._from_value(value, here, (OpenEditModal, PreviewDelete))

    async def on_again(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Previous, Next and Try again: the lookup their value names, in place of the message."""
        await ack()
        # Ticks travel with the list from page to page, in the message's own state.
        here = replace(
            _invocation(body, respond, client, context),
            in_place=True,
            ticked=ticked_keys(body.get("state", {}).get("values", {})),
        )
        await self._from_value(action.get("value", ""), here, (ListRelations, Follows, GetRelation))

    async def on_tick(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Redraw the page, fetched afresh, so "Delete selected" names what is ticked now."""
        await ack()
        command = ui.command_of_row(action.get("block_id") or "")
        if command is None:
            log.warning("tick outside a row", extra={"block_id": action.get("block_id")})
            return
        here = replace(
            _invocation(body, respond, client, context),
            in_place=True,
            ticked=ticked_keys(body.get("state", {}).get("values", {})),
        )
        await self._from_value(command, here, (ListRelations, Follows))

    async def on_share(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        here = _invocation(body, respond, client, context)
        parsed = parse_uc_command(action.get("value", ""))
        if not isinstance(parsed, ListRelations | Follows | GetRelation):
            log.warning("unreadable share value", extra={"value": action.get("value")})
            return
        if await self.authorized(parsed, here) and await self.look(
            parsed, await self.reader(here), shared=True
        ):
            await respond(delete_original=True)

    async def on_delete_selected(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        here = _invocation(body, respond, client, context)
        try:
            parsed = PreviewDelete(RelationSelection.parse(action.get("value", "")))
        except ValueError:
            log.warning("unreadable selection", extra={"value": action.get("value")})
            return
        if await self.authorized(parsed, here):
            await self.run(parsed, here)

    async def _from_value(self, value: str, here: Invocation, accepted: tuple[type, ...]) -> None:
        """Run the command text a button or menu carries, if it is one this control may send."""
        parsed = parse_uc_command(value)
        if not isinstance(parsed, accepted):
            log.warning("unexpected value", extra={"value": value})
            return
        if await self.authorized(parsed, here):
            await self.run(parsed, here)

    async def run(self, parsed: object, invoked: common.Invocation) -> None:
        # A typed command carries no ticks; a tick's redraw arrives with them.
        here = invoked if isinstance(invoked, Invocation) else Invocation(**vars(invoked))
        here = await self.reader(here)
        match parsed:
            case ListRelations() | Follows() | GetRelation():
                await self.look(parsed, here)
            case OpenAddModal():
                await self.open_add_modal(here)
            case OpenEditModal(key):
                await self.open_edit_modal(key, here)
            case PreviewDelete(selection):
                await self.preview_delete(selection, here)
            case ShowAudit(limit):
                await show_audit(self.deps, FEATURE, limit, here, here.ref)
            case Help():
                raise AssertionError("help is answered in the ack")

    # ---- lookups ----

    async def look(self, parsed: Lookup, here: Invocation, *, shared: bool = False) -> bool:
        """Answer a lookup; False when the backend failed (the person is told why)."""
        try:
            if isinstance(parsed, GetRelation):
                text, blocks = await self._relation(parsed.key, here, shared=shared)
            else:
                text, blocks = await self._page(parsed, here, shared=shared)
        except BackendError as error:
            log.info("lookup failed", extra={"user": here.user, "error": type(error).__name__})
            blocks = ui.lookup_failed(here.t, error, command_text(parsed), here.ref)
            await self._reply(here, error.say(here.t), blocks)
            return False
        log.info("lookup", extra={"user": here.user, "query": command_text(parsed)})
        await self._reply(here, text, blocks, shared=shared)
        return True

    async def _page(
        self, parsed: PageCommand, here: Invocation, *, shared: bool
    ) -> tuple[str, list[Block]]:
        if isinstance(parsed, ListRelations):
            page = await self.deps.relations.list(parsed.query)
        else:
            page = await self.deps.relations.follows(
                parsed.user_id, page=parsed.page, size=parsed.size
            )
        blocks = ui.list_message(
            here.t,
            _listing(here.t, parsed, page),
            page,
            ticked=here.ticked,
            editable=self.deps.roles.allows(here.user, Role.EDITOR),
            correlation_id=here.ref,
            shared_by=here.user if shared else None,
        )
        return ui.list_summary(here.t, page), blocks

    async def _relation(
        self, key: RelationKey, here: Invocation, *, shared: bool
    ) -> tuple[str, list[Block]]:
        t = here.t
        relation = await self.deps.relations.find(key)
        pair = {"user": key.user_id, "customer": key.customer_id}
        if relation is None:
            return (
                t("No relation between user %(user)s and customer %(customer)s", **pair),
                ui.missing_relation(t, key, here.ref),
            )
        blocks = ui.relation_message(
            t,
            relation,
            command=command_text(GetRelation(key)),
            editable=self.deps.roles.allows(here.user, Role.EDITOR),
            correlation_id=here.ref,
            shared_by=here.user if shared else None,
        )
        return t("The relation between user %(user)s and customer %(customer)s", **pair), blocks

    async def _reply(
        self, here: Invocation, text: str, blocks: list[Block], *, shared: bool = False
    ) -> None:
        await here.respond(
            text=fallback_text(text),
            blocks=blocks,
            response_type="in_channel" if shared else "ephemeral",
            replace_original=here.in_place and not shared,
        )

    # ---- delete preview ----

    async def preview_delete(self, selection: RelationSelection, here: Invocation) -> None:
        keys = selection.keys
        try:
            found = await self.deps.relations.find_many(keys)
        except BackendError as error:
            said = error.say(here.t)
            await self._reply(here, said, notice(here.t, f":x: {escape(said)}", here.ref))
            return
        existing = [relation for key in keys if (relation := found[key]) is not None]
        missing = [key for key in keys if found[key] is None]
        blocks = ui.delete_preview(
            here.t,
            existing,
            missing,
            fingerprint=fingerprint([relation.model_dump(mode="json") for relation in existing]),
            correlation_id=here.ref,
        )
        await self._reply(here, here.t("Delete preview"), blocks)

    # ---- add ----

    async def open_add_modal(self, here: Invocation) -> None:
        secret = self.deps.settings.user_customer_secret
        await here.client.views_open(
            trigger_id=here.trigger_id,
            view=ui.add_modal(here.t, secret=secret.get_secret_value() if secret else None),
        )

    async def on_add_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        values = view_values(view)
        user, ref = body["user"]["id"], context["correlation_id"]
        t = self.deps.locales.known(user)
        relation, errors = read_add_form(t, values)
        if relation is None:
            await ack(response_action="errors", errors=errors)
            return
        key = RelationKey(user_id=relation.user_id, customer_id=relation.customer_id)
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="add",
            what=N_("add relations"),
            title=N_("Add relation"),
            target=ui.target(key),
            ref=ref,
        ):
            return

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.relations.add(relation)
            except BackendError as error:
                await self.audit_write("add", ui.target(key), user, error)
                return ui.add_refused(t, error, key, values, ref)
            await self.audit_write(
                "add", ui.target(key), user, None, detail=_texts_detail(relation)
            )
            sentence = t(
                "User %(user)s now follows customer %(customer)s.",
                user=code(key.user_id),
                customer=code(key.customer_id),
            )
            return Shown(message_modal(t, t("Add relation"), ui.write_done(t, sentence, key, ref)))

        submission = self.submission(ack, client, view, ref, t("Add relation"), t)
        await answer_submission(submission, outcome())

    # ---- edit ----

    async def open_edit_modal(self, key: RelationKey, here: Invocation) -> None:
        # trigger_id dies 3 s after the click: open first, fetch after.
        t = here.t
        title = t("Edit relation")
        opened = await here.client.views_open(
            trigger_id=here.trigger_id, view=ui.edit_loading(t, key)
        )
        try:
            relation = await self.deps.relations.find(key)
        except BackendError as error:
            view = message_modal(t, title, notice(t, f":x: {escape(error.say(t))}", here.ref))
        else:
            view = (
                message_modal(t, title, ui.missing_relation(t, key, here.ref))
                if relation is None
                else ui.edit_modal(
                    t,
                    key,
                    relation,
                    private_metadata=metadata(
                        user_id=key.user_id,
                        customer_id=key.customer_id,
                        shown=_shown_digests(relation),
                    ),
                )
            )
        await here.client.views_update(
            view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view
        )

    async def on_edit_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        meta = read_metadata(view)
        values = view_values(view)
        user, ref = body["user"]["id"], context["correlation_id"]
        t = self.deps.locales.known(user)
        changed = read_edit_form(values, meta.get("shown", {}))
        if not changed:
            await ack(response_action="errors", errors={"template": t(_NOTHING_CHANGED)})
            return
        key = RelationKey(user_id=meta["user_id"], customer_id=meta["customer_id"])
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="edit",
            what=N_("edit relations"),
            title=N_("Edit relation"),
            target=ui.target(key),
            ref=ref,
        ):
            return
        change = RelationChange(user_id=key.user_id, customer_id=key.customer_id, **changed)

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.relations.edit(change)
            except BackendError as error:
                await self.audit_write("edit", ui.target(key), user, error)
                metadata = view.get("private_metadata", "")
                return ui.edit_refused(t, error, key, values, metadata, ref)
            detail = ui.changes(messages(SOURCE_LANGUAGE), change, str)
            await self.audit_write("edit", ui.target(key), user, None, detail=detail)
            sentence = t(
                "Saved user %(user)s's relation with customer %(customer)s: %(changes)s.",
                user=code(key.user_id),
                customer=code(key.customer_id),
                changes=ui.changes(t, change),
            )
            title = t("Edit relation")
            return Shown(message_modal(t, title, ui.write_done(t, sentence, key, ref)))

        submission = self.submission(ack, client, view, ref, t("Edit relation"), t)
        await answer_submission(submission, outcome())


def ticked_keys(state_values: dict[str, Any]) -> frozenset[RelationKey]:
    """The relations whose tick boxes are ticked in a message's state."""
    keys = set()
    for elements in state_values.values():
        for action_id, state in elements.items():
            if not action_id.startswith(f"{ui.TICK_ACTION}:"):
                continue
            for option in state.get("selected_options") or []:
                key = ui.parse_key_value(option.get("value", ""))
                if key is not None:
                    keys.add(key)
    return frozenset(keys)


def _placeholder(t: Messages, parsed: object) -> str | None:
    """What a command is looking up, when its answer needs the backend."""
    match parsed:
        case ListRelations() | Follows():
            return t("relations")
        case GetRelation(key):
            return t(
                "the relation of user %(user)s and customer %(customer)s",
                user=code(key.user_id),
                customer=code(key.customer_id),
            )
        case PreviewDelete(selection):
            return t.ngettext(
                "the %(count)d relation to delete",
                "the %(count)d relations to delete",
                len(selection.keys),
            )
    return None


def _texts_detail(relation: NewRelation) -> str:
    """What an add set, for the audit log (never the secret)."""
    given = {
        "template": relation.template,
        "script": relation.script,
        "reference": relation.reference,
    }
    return ", ".join(f"{name}={value}" for name, value in given.items() if value)


def _invocation(
    body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
) -> Invocation:
    return Invocation(**vars(invocation_of(body, respond, client, context)))


def _target(parsed: object) -> str:
    match parsed:
        case ListRelations() | Follows():
            return command_text(parsed)
        case GetRelation(key) | OpenEditModal(key):
            return ui.target(key)
        case PreviewDelete(selection):
            return selection.to_text()
    return ""
