"""`/uc` sentences: the titles, empty pages and placeholders people read (pure)."""

from __future__ import annotations

from bot.blocks import user_customer as ui
from bot.blocks.common import code, escape
from bot.i18n import Messages
from bot.models import RelationChange, RelationKey, RelationPage, RelationQuery
from handlers.user_customer.grammar import (
    Follows,
    GetRelation,
    ListRelations,
    PageCommand,
    PreviewDelete,
    at_page,
    command_text,
    page_number,
)


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
    return page_number(parsed) > max(page.total_pages, 1)


def _empty(t: Messages, parsed: PageCommand, page: RelationPage) -> str:
    if _past_the_end(parsed, page):
        number = page_number(parsed)
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


def listing(t: Messages, parsed: PageCommand, page: RelationPage) -> ui.Listing:
    number = page_number(parsed)
    last = max(page.total_pages, 1)
    # Past the end, Previous goes to the last page, when there is one to go to.
    previous = at_page(parsed, min(number - 1, last)) if number > 1 and page.total_records else None
    following = at_page(parsed, number + 1) if number < page.total_pages else None
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


def looking_up(t: Messages, parsed: object) -> str | None:
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


def added(t: Messages, key: RelationKey) -> str:
    return t(
        "User %(user)s now follows customer %(customer)s.",
        user=code(key.user_id),
        customer=code(key.customer_id),
    )


def saved(t: Messages, change: RelationChange) -> str:
    return t(
        "Saved user %(user)s's relation with customer %(customer)s: %(changes)s.",
        user=code(change.user_id),
        customer=code(change.customer_id),
        changes=ui.changes(t, change),
    )
