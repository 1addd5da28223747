"""`/uc` list pages (pure): what a page is titled and says when empty, and its Block Kit, with
a tick box and a menu on each row for editors."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    OPTION_TEXT_LIMIT,
    Block,
    Json,
    actions,
    button,
    checkboxes,
    code,
    context,
    escape,
    footer,
    option,
    overflow,
    quoted,
    section,
    share_button,
)
from bot.i18n import Messages
from bot.models import Relation, RelationKey, RelationPage, RelationQuery, RelationSelection
from handlers.user_customer.grammar import (
    MAX_DELETE,
    MAX_PAGE_SIZE,
    Follows,
    ListRelations,
    PageCommand,
    at_page,
    page_number,
)
from handlers.user_customer.payloads import (
    DELETE_SELECTED_ACTION,
    MENU_ACTION,
    NEXT_ACTION,
    PREVIOUS_ACTION,
    SHARE_ACTION,
    KeyValue,
    LookupValue,
    MenuChoice,
    RowBlockId,
    elsewhere_action_id,
    tick_action_id,
)
from handlers.user_customer.views import created, pair, relation_line

# Title, summary, hint, actions and footer around the rows, one block per row: 20 rows keep
# a page at half of Slack's 50-block limit and readable on a laptop screen.
_FRAME_BLOCKS = 6
assert MAX_PAGE_SIZE + _FRAME_BLOCKS <= MAX_MESSAGE_BLOCKS
_CHECKBOX_OPTIONS = 10


@dataclass(frozen=True)
class Listing:
    """A page as asked for: what it shows, and the lookups of it and its neighbours.
    `title`, `empty` and `notes` are already in the reader's language."""

    title: str
    command: PageCommand
    previous: PageCommand | None
    next: PageCommand | None
    empty: str
    past_the_end: bool = False
    notes: tuple[str, ...] = ()


# ---- what a page says -----------------------------------------------------------------------


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


def listing_of(t: Messages, parsed: PageCommand, page: RelationPage) -> Listing:
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
    return Listing(
        title=_title(t, parsed),
        command=parsed,
        previous=previous,
        next=following,
        empty=_empty(t, parsed, page),
        past_the_end=_past_the_end(parsed, page),
        notes=notes,
    )


# ---- rows -----------------------------------------------------------------------------------


def menu(t: Messages, relation: Relation) -> Json:
    return overflow(
        MENU_ACTION,
        [
            (t("Edit"), MenuChoice.of("edit", relation.key).encode()),
            (t("Delete"), MenuChoice.of("delete", relation.key).encode()),
        ],
    )


def _tick_option(t: Messages, relation: Relation) -> Json:
    head = f"{pair(t, relation.key)} · "
    room = max(OPTION_TEXT_LIMIT - len(head), 12)
    return option(
        head + quoted(t, relation.reference, room),
        KeyValue.of(relation.key).encode(),
        description=created(t, relation, str),
        markdown=True,
    )


def _editable_row(t: Messages, relation: Relation, command: PageCommand, ticked: bool) -> Block:
    box = _tick_option(t, relation)
    tick = checkboxes(tick_action_id(relation.key), [box], ticked=[box] if ticked else None)
    block_id = RowBlockId(key=relation.key, page=command).encode()
    return actions(tick, menu(t, relation), block_id=block_id)


def _ticked_elsewhere(t: Messages, keys: list[RelationKey], command: PageCommand) -> list[Block]:
    """Ticks on other pages of this list travel in the message itself, as ticked boxes."""
    options = [
        option(pair(t, key, codes=False), KeyValue.of(key).encode()) for key in keys[:MAX_DELETE]
    ]
    boxes = [
        checkboxes(
            elsewhere_action_id(start),
            options[start : start + _CHECKBOX_OPTIONS],
            ticked=options[start : start + _CHECKBOX_OPTIONS],
        )
        for start in range(0, len(options), _CHECKBOX_OPTIONS)
    ]
    return [
        context(t("Also ticked, on other pages of this list (untick to leave out):")),
        actions(*boxes, block_id=RowBlockId(key=None, page=command).encode()),
    ]


# ---- the page -------------------------------------------------------------------------------


def _count(t: Messages, total: int) -> str:
    return t.ngettext("%(count)d relation", "%(count)d relations", total)


def _page_of(t: Messages, page: RelationPage) -> str:
    return t("page %(page)s of %(pages)s", page=page.page_index, pages=max(page.total_pages, 1))


def list_message(
    t: Messages,
    listing: Listing,
    page: RelationPage,
    *,
    ticked: frozenset[RelationKey] = frozenset(),
    editable: bool,
    correlation_id: str,
    shared_by: str | None = None,
) -> list[Block]:
    """A page of relations; editors get a tick box and a menu on each row."""
    interactive = shared_by is None
    editable = editable and interactive
    rows = page.data[:MAX_PAGE_SIZE]
    here = {row.key for row in rows}
    elsewhere = sorted(ticked - here, key=lambda k: (k.user_id, k.customer_id))
    blocks: list[Block] = [section(f"*{listing.title}*")]
    summary = [
        _count(t, page.total_records),
        t("past the last page") if listing.past_the_end else _page_of(t, page),
        *listing.notes,
    ]
    blocks.append(context(" · ".join(summary)))
    if rows and editable:
        blocks += [_editable_row(t, row, listing.command, row.key in ticked) for row in rows]
        if not ticked:
            blocks.append(context(t("Tick relations to delete several at once.")))
    elif rows:
        blocks += [section(relation_line(t, row)) for row in rows]
    else:
        blocks.append(section(listing.empty))
    if elsewhere and editable:
        blocks += _ticked_elsewhere(t, elsewhere, listing.command)
    if interactive:
        blocks.append(_list_actions(t, listing, ticked, editable))
    notes = [t("shared by %(user)s", user=f"<@{escape(shared_by)}>")] if shared_by else []
    blocks.append(footer(t, correlation_id, *notes))
    return blocks


def _list_actions(
    t: Messages, listing: Listing, ticked: frozenset[RelationKey], editable: bool
) -> Block:
    buttons: list[Json] = []
    if editable and ticked:
        buttons.append(_delete_selected(t, ticked))
    if listing.previous:
        previous = LookupValue(lookup=listing.previous).encode()
        buttons.append(button(t("◀ Previous"), PREVIOUS_ACTION, previous))
    if listing.next:
        buttons.append(button(t("Next ▶"), NEXT_ACTION, LookupValue(lookup=listing.next).encode()))
    buttons.append(share_button(t, SHARE_ACTION, LookupValue(lookup=listing.command).encode()))
    return actions(*buttons)


def _delete_selected(t: Messages, ticked: frozenset[RelationKey]) -> Json:
    """No dialog here: the preview it opens has the one confirm, on its Delete button."""
    selection = RelationSelection.of(sorted(ticked, key=lambda k: (k.user_id, k.customer_id)))
    return button(
        t("Delete selected (%(count)s)", count=len(ticked)),
        DELETE_SELECTED_ACTION,
        selection.encode(),
        style="danger",
    )


def list_summary(t: Messages, page: RelationPage) -> str:
    """The plain fallback text of a page (notifications show it)."""
    return f"{_count(t, page.total_records)}, {_page_of(t, page)}"
