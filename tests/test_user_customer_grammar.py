"""The `/uc` grammar as pure functions: every form in `/uc` help, read into a typed command."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import (
    Condition,
    Operator,
    RelationField,
    RelationKey,
    RelationQuery,
    RelationSelection,
)
from handlers.user_customer.grammar import (
    DEFAULT_PAGE_SIZE,
    MAX_DELETE,
    MAX_PAGE_SIZE,
    Follows,
    GetRelation,
    ListRelations,
    OpenEditModal,
    PreviewDelete,
    command_text,
    parse_command,
)
from handlers.words import Help, OpenAddModal, ShowAudit


def listing(*conditions: Condition, **query: Any) -> ListRelations:
    query.setdefault("size", DEFAULT_PAGE_SIZE)
    return ListRelations(RelationQuery(conditions=conditions, **query))


def cond(field: RelationField, op: Operator, value: str) -> Condition:
    return Condition(field=field, op=op, value=value)


F, Op = RelationField, Operator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("list", listing()),
        ("LIST", listing()),
        # Each field, by its short name and its API name.
        ("list user=998", listing(cond(F.USER_ID, Op.EQ, "998"))),
        ("list user_id=998", listing(cond(F.USER_ID, Op.EQ, "998"))),
        ("list customer=1001", listing(cond(F.CUSTOMER_ID, Op.EQ, "1001"))),
        ("list customer_id=1001", listing(cond(F.CUSTOMER_ID, Op.EQ, "1001"))),
        ("list ref=VIP", listing(cond(F.REFERENCE, Op.EQ, "VIP"))),
        ("list reference=VIP", listing(cond(F.REFERENCE, Op.EQ, "VIP"))),
        ("list template=t1", listing(cond(F.TEMPLATE, Op.EQ, "t1"))),
        ("list script=s1", listing(cond(F.SCRIPT, Op.EQ, "s1"))),
        ("list is_available=1", listing(cond(F.IS_AVAILABLE, Op.EQ, "1"))),
        ("list boss_sync=0", listing(cond(F.BOSS_SYNC, Op.EQ, "0"))),
        ("list USER=998", listing(cond(F.USER_ID, Op.EQ, "998"))),
        # Each operator; two-character ones are not read as one character and a value.
        ("list user!=998", listing(cond(F.USER_ID, Op.NE, "998"))),
        ("list user>998", listing(cond(F.USER_ID, Op.GT, "998"))),
        ("list user<998", listing(cond(F.USER_ID, Op.LT, "998"))),
        ("list user>=998", listing(cond(F.USER_ID, Op.GE, "998"))),
        ("list user<=998", listing(cond(F.USER_ID, Op.LE, "998"))),
        ("list ref~VIP", listing(cond(F.REFERENCE, Op.LIKE, "VIP"))),
        ("list user~99", listing(cond(F.USER_ID, Op.LIKE, "99"))),
        ("list ref=", listing(cond(F.REFERENCE, Op.EQ, ""))),
        (
            "list user=998 ref~VIP",
            listing(cond(F.USER_ID, Op.EQ, "998"), cond(F.REFERENCE, Op.LIKE, "VIP")),
        ),
        # Quoted values.
        ('list ref="VIP gold"', listing(cond(F.REFERENCE, Op.EQ, "VIP gold"))),
        ('list ref~"say \\"hi\\""', listing(cond(F.REFERENCE, Op.LIKE, 'say "hi"'))),
        # From and to: whole days.
        ("list from=2018-11-01", listing(start_time="2018-11-01 00:00:00")),
        ("list to=2018-11-30", listing(end_time="2018-11-30 23:59:59")),
        (
            "list from=2018-11-01 to=2018-11-30 size=10",
            listing(start_time="2018-11-01 00:00:00", end_time="2018-11-30 23:59:59", size=10),
        ),
        (
            "list from=2018-11-01 to=2018-11-01",
            listing(start_time="2018-11-01 00:00:00", end_time="2018-11-01 23:59:59"),
        ),
        # Page and size, in any order; a size over what a message holds is capped and noted.
        ("list page=3", listing(page=3)),
        ("list size=5 page=2", listing(page=2, size=5)),
        (f"list size={MAX_PAGE_SIZE}", listing(size=MAX_PAGE_SIZE)),
        (
            f"list size={MAX_PAGE_SIZE + 1}",
            ListRelations(RelationQuery(size=MAX_PAGE_SIZE), asked_size=MAX_PAGE_SIZE + 1),
        ),
        ("get 998 1001", GetRelation(RelationKey(user_id=998, customer_id=1001))),
        ("follows 998", Follows(998, 1, DEFAULT_PAGE_SIZE)),
        ("follows 998 page=2 size=5", Follows(998, 2, 5)),
        ("follows 998 size=500", Follows(998, 1, MAX_PAGE_SIZE, 500)),
        ("add", OpenAddModal()),
        ("edit 998 1001", OpenEditModal(RelationKey(user_id=998, customer_id=1001))),
        (
            "delete 998 1001",
            PreviewDelete(RelationSelection(by_user={998: (1001,)})),
        ),
        (
            "delete 998 1001,1002",
            PreviewDelete(RelationSelection(by_user={998: (1001, 1002)})),
        ),
        (
            "delete 998 1001, 1002 ,1003",
            PreviewDelete(RelationSelection(by_user={998: (1001, 1002, 1003)})),
        ),
        (
            "delete 998 1001,1001",
            PreviewDelete(RelationSelection(by_user={998: (1001,)})),
        ),
        ("audit", ShowAudit(20)),
        ("audit 5", ShowAudit(5)),
    ],
)
def test_every_form_in_help_reads_into_its_command(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("frobnicate", "is not something"),
        ("list user", "is not a filter"),
        ("list colour=red", "is not a field"),
        ("list user=abc", "compares with a whole number"),
        ("list is_available=yes", "compares with a whole number"),
        ("list from=yesterday", "is not a date"),
        ("list to=2018-13-01", "is not a date"),
        ("list from=2018-12-01 to=2018-11-01", "is after"),
        ("list page=0", "page="),
        ("list size=x", "size="),
        ("list page=1 page=2", "is given twice"),
        ('list ref="open', "A quote is not closed"),
        # Only double quotes quote: `ref='a b'` is `ref='a` and a stray `b'`.
        ("list ref='a b'", "is not a filter"),
        ("get 998", "takes a user id and a customer id"),
        ("get 998 1001 1002", "takes a user id and a customer id"),
        ("get x 1001", "user id"),
        ("get 998 x", "customer id"),
        ("follows", "takes one user id"),
        ("follows 998 999", "takes one user id"),
        ("follows 998 from=2018-11-01", "takes only"),
        ("add 998 1001", "takes nothing"),
        ("edit 998", "takes a user id and a customer id"),
        ("delete 998", "takes a user id and customer ids"),
        ("delete 998 x", "customer id"),
        (
            "delete 998 " + ",".join(str(1000 + n) for n in range(MAX_DELETE + 1)),
            "At most",
        ),
        ("audit x", "number of entries"),
    ],
)
def test_a_mistake_answers_with_help_naming_it(text: str, problem: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, Help)
    assert parsed.problem is not None
    assert problem in str(parsed.problem)


@pytest.mark.parametrize(
    "text",
    [
        "list",
        "list user=998 ref~VIP",
        'list ref="VIP gold" customer!=1001',
        'list ref~"say \\"hi\\""',
        "list from=2018-11-01 to=2018-11-30 page=2 size=10",
        "follows 998 page=3 size=7",
        "get 998 1001",
    ],
)
def test_command_text_reads_back_into_the_same_command(text: str) -> None:
    parsed = parse_command(text)
    assert isinstance(parsed, ListRelations | Follows | GetRelation)
    assert parse_command(command_text(parsed)) == parsed
