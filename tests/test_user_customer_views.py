"""`/uc` views as pure functions: what a page is titled, says when empty, and turns to; what its
buttons and rows carry."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import SOURCE_LANGUAGE, messages
from bot.models import Relation, RelationKey, RelationPage
from handlers.user_customer.cards import delete_preview
from handlers.user_customer.grammar import Follows, ListRelations, parse_command
from handlers.user_customer.listing import list_message, listing_of
from handlers.user_customer.payloads import RelationsDeleteButton, RowBlockId

t = messages(SOURCE_LANGUAGE)


def page(number: int, pages: int, total: int, *rows: Relation) -> RelationPage:
    return RelationPage(page_index=number, total_pages=pages, total_records=total, data=list(rows))


def relation(user: int, customer: int) -> Relation:
    return Relation(user_id=user, customer_id=customer, reference="VIP", created="2018-11-28")


def lookup(text: str) -> Any:
    parsed = parse_command(text)
    assert isinstance(parsed, ListRelations | Follows)
    return parsed


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("list", "All relations"),
        ("list ref~VIP", "Relations where `reference` like `VIP`"),
        ("list from=2018-11-01", "Relations created from 2018-11-01"),
        (
            "list user=998 to=2018-11-30",
            "Relations where `user_id` = `998`, created until 2018-11-30",
        ),
        ("follows 998", "Customers followed by user `998`"),
    ],
)
def test_a_page_is_titled_by_what_it_asks(text: str, title: str) -> None:
    assert listing_of(t, lookup(text), page(1, 1, 0)).title == title


@pytest.mark.parametrize(
    ("text", "shown", "empty"),
    [
        ("list", page(1, 0, 0), "There are no relations yet"),
        ("list ref~x", page(1, 0, 0), "No relation matches"),
        ("follows 998", page(1, 0, 0), "User `998` follows no customer"),
        ("list page=5", page(5, 0, 0), "Page 5 is past the end: nothing matches at all."),
        ("list page=5", page(5, 2, 30), "Page 5 is past the end: there are 2 pages."),
    ],
)
def test_an_empty_page_says_why(text: str, shown: RelationPage, empty: str) -> None:
    assert empty in listing_of(t, lookup(text), shown).empty


def test_a_page_turns_to_its_neighbours_and_back_from_past_the_end() -> None:
    middle = listing_of(t, lookup("list page=2 size=5"), page(2, 3, 15))
    assert middle.previous == lookup("list page=1 size=5")
    assert middle.next == lookup("list page=3 size=5")
    past = listing_of(t, lookup("list page=9 size=5"), page(9, 3, 15))
    assert past.previous == lookup("list page=3 size=5") and past.next is None
    assert past.past_the_end


def test_a_capped_size_is_noted() -> None:
    shown = listing_of(t, lookup("list size=500"), page(1, 1, 1))
    assert shown.notes == ("20 per page, the most one message holds (you asked for 500)",)


def test_each_editable_row_carries_its_key_and_its_page() -> None:
    asked = lookup("follows 998 page=2 size=2")
    rows = (relation(998, 1001), relation(998, 1002))
    blocks = list_message(
        t,
        listing_of(t, asked, page(2, 2, 4, *rows)),
        page(2, 2, 4, *rows),
        editable=True,
        correlation_id="r",
    )
    ids = [b["block_id"] for b in blocks if b.get("block_id", "").startswith("uc_row")]
    assert [RowBlockId.decode(i) for i in ids] == [
        RowBlockId(key=row.key, page=asked) for row in rows
    ]


def test_a_delete_preview_carries_what_it_shows() -> None:
    found = [relation(998, 1001)]
    missing = [RelationKey(user_id=998, customer_id=1002)]
    blocks = delete_preview(t, found, missing, fingerprint="0123456789ab", correlation_id="r")
    values = [
        element["value"]
        for block in blocks
        for element in block.get("elements", [])
        if element.get("action_id") == "uc_delete"
    ]
    button = RelationsDeleteButton.decode(values[0])
    assert button.selection.keys == [RelationKey(user_id=998, customer_id=1001)]
    assert button.seen == "0123456789ab"
