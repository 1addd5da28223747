"""`/uc` grammar: pure functions from command text and form values to typed commands, and back
to the text that repeats them (the lookups that `payloads` carries through Slack)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.blocks.common import code
from bot.i18n import N_, Messages
from bot.models import (
    Condition,
    NewRelation,
    Operator,
    RelationField,
    RelationKey,
    RelationQuery,
    RelationSelection,
    fingerprint,
)
from handlers.words import (
    MAX_ID_DIGITS,
    Help,
    OpenAddModal,
    ShowAudit,
    UsageError,
    as_positive_int,
    positive_int,
    quote,
    split_options,
    too_large,
    words_of,
)

# What one message holds (`listing.py` checks it against Slack's block limit).
MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = 10
# A delete preview shows one card per relation.
MAX_DELETE = MAX_PAGE_SIZE


@dataclass(frozen=True)
class ListRelations:
    query: RelationQuery
    # The page size asked for, when it was more than a message holds.
    asked_size: int | None = None


@dataclass(frozen=True)
class Follows:
    user_id: int
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
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
Command = (
    Help
    | ListRelations
    | Follows
    | GetRelation
    | OpenAddModal
    | OpenEditModal
    | PreviewDelete
    | ShowAudit
)


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
        return page, DEFAULT_PAGE_SIZE, None
    if size > MAX_PAGE_SIZE:
        return page, MAX_PAGE_SIZE, size
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


def parse_command(text: str) -> Command:
    try:
        return _parse(words_of(text))
    except UsageError as problem:
        return Help(problem=problem.text)


def _parse(words: list[str]) -> Command:
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
    return ListRelations(
        RelationQuery(
            conditions=tuple(parse_filter(word) for word in words),
            start_time=f"{start} 00:00:00" if start else None,
            end_time=f"{end} 23:59:59" if end else None,
            page=page,
            size=size,
        ),
        asked,
    )


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
    if len(selection.keys) > MAX_DELETE:
        raise UsageError(
            N_("At most %(count)s relations can be deleted at once."), count=MAX_DELETE
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
            return f"get {key_text(key)}"


def key_text(key: RelationKey) -> str:
    """A relation as `/uc get|edit` and the audit log name it: `998 1001`."""
    return f"{key.user_id} {key.customer_id}"


def page_number(parsed: PageCommand) -> int:
    return parsed.query.page if isinstance(parsed, ListRelations) else parsed.page


def at_page(parsed: PageCommand, page: int) -> PageCommand:
    if isinstance(parsed, ListRelations):
        return ListRelations(parsed.query.model_copy(update={"page": page}))
    return Follows(parsed.user_id, page, parsed.size)


EDITABLE = ("template", "script", "reference")
_EXAMPLE_IDS = {"user_id": 998, "customer_id": 1001}
NOTHING_CHANGED = N_("Nothing changed: edit the template, script or reference, or press Cancel.")
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


def shown_digests(shown: dict[str, str]) -> dict[str, str]:
    """What the edit form showed, digested: fields left as shown are not sent back."""
    return {name: _digest(shown[name].strip()) for name in EDITABLE}


def read_edit_form(values: dict[str, str | None], shown: dict[str, str]) -> dict[str, str]:
    """The fields a person changed; an emptied field is sent empty, to clear it."""
    typed = {name: values.get(name) or "" for name in EDITABLE}
    return {name: text for name, text in typed.items() if _digest(text) != shown.get(name)}


def texts_detail(relation: NewRelation) -> str:
    """What an add set, for the audit log (never the secret)."""
    given = {
        "template": relation.template,
        "script": relation.script,
        "reference": relation.reference,
    }
    return ", ".join(f"{name}={value}" for name, value in given.items() if value)


def target_of(parsed: object) -> str:
    match parsed:
        case ListRelations() | Follows():
            return command_text(parsed)
        case GetRelation(key) | OpenEditModal(key):
            return key_text(key)
        case PreviewDelete(selection):
            return selection.encode()
    return ""
