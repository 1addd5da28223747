"""The `/binding` grammar as pure functions: every form in `/binding` help, read into a command."""

from __future__ import annotations

import pytest

from bot.models import AccountSource, BindingKey, BindingQuery, NewBinding
from handlers.bindings.grammar import (
    MAX_OPEN_ID,
    AddNow,
    Lookup,
    OpenEditModal,
    PreviewDelete,
    parse_binding_command,
)
from handlers.words import Help, OpenAddModal, ShowAudit

S = AccountSource
WECHAT_KEY = BindingKey(cid=30851821, source=S.WECHAT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("Help", Help()),
        # Every binding of a contact, all four sources at once.
        ("30851821", Lookup(BindingQuery(cid=30851821))),
        # One source only, by its name or an alias, in any case.
        ("30851821 wechat", Lookup(BindingQuery(cid=30851821, sources=(S.WECHAT,)))),
        ("30851821 wx", Lookup(BindingQuery(cid=30851821, sources=(S.WECHAT,)))),
        ("30851821 WeChat", Lookup(BindingQuery(cid=30851821, sources=(S.WECHAT,)))),
        ("30851821 dingding", Lookup(BindingQuery(cid=30851821, sources=(S.DINGDING,)))),
        ("30851821 dd", Lookup(BindingQuery(cid=30851821, sources=(S.DINGDING,)))),
        ("30851821 dingtalk", Lookup(BindingQuery(cid=30851821, sources=(S.DINGDING,)))),
        ("30851821 workwechat", Lookup(BindingQuery(cid=30851821, sources=(S.WORK_WECHAT,)))),
        ("30851821 wecom", Lookup(BindingQuery(cid=30851821, sources=(S.WORK_WECHAT,)))),
        ("30851821 wxwork", Lookup(BindingQuery(cid=30851821, sources=(S.WORK_WECHAT,)))),
        ("30851821 open", Lookup(BindingQuery(cid=30851821, sources=(S.OPEN,)))),
        # Which contact a third-party account is bound to.
        ("openid 10014850", Lookup(BindingQuery(open_id="10014850"))),
        ("OPENID 10014850", Lookup(BindingQuery(open_id="10014850"))),
        ("openid 10014850 dd", Lookup(BindingQuery(open_id="10014850", sources=(S.DINGDING,)))),
        ('openid "o x"', Lookup(BindingQuery(open_id="o x"))),
        ("openid " + "o" * MAX_OPEN_ID, Lookup(BindingQuery(open_id="o" * MAX_OPEN_ID))),
        # Add: the form, or at once with an optional appId.
        ("add", OpenAddModal()),
        (
            "add 6862715 wechat 564354327",
            AddNow(NewBinding(cid=6862715, source=S.WECHAT, open_id="564354327")),
        ),
        (
            "add 6862715 wechat 564354327 789",
            AddNow(NewBinding(cid=6862715, source=S.WECHAT, open_id="564354327", app_id="789")),
        ),
        (
            "ADD 6862715 wx 564354327",
            AddNow(NewBinding(cid=6862715, source=S.WECHAT, open_id="564354327")),
        ),
        ("edit 30851821 wechat", OpenEditModal(WECHAT_KEY)),
        ("edit 30851821 wx", OpenEditModal(WECHAT_KEY)),
        ("delete 30851821 wechat", PreviewDelete(WECHAT_KEY)),
        (
            "delete 30851821 workwechat",
            PreviewDelete(BindingKey(cid=30851821, source=S.WORK_WECHAT)),
        ),
        ("audit", ShowAudit(20)),
        ("audit 5", ShowAudit(5)),
    ],
)
def test_every_form_in_help_reads_into_its_command(text: str, expected: object) -> None:
    assert parse_binding_command(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("frobnicate", "is neither a contact id nor a known word"),
        ("30851821 twitter", "is not a source"),
        ("30851821 wechat dd", "Too many words"),
        ("0", "contact id"),
        ("1234567890123456789012", "contact id"),
        ("openid", "needs the third-party account id"),
        ("openid " + "o" * (MAX_OPEN_ID + 1), "at most"),
        ("openid 10014850 twitter", "is not a source"),
        ("openid 10014850 dd wx", "Too many words"),
        ("add 6862715", "takes a contact id, a source, an openId"),
        ("add 6862715 wechat", "takes a contact id, a source, an openId"),
        ("add 6862715 wechat 1 2 3", "takes a contact id, a source, an openId"),
        ("add x wechat 564354327", "contact id"),
        ("add 6862715 twitter 564354327", "is not a source"),
        ("edit 30851821", "takes a contact id and a source"),
        ("edit 30851821 wechat more", "takes a contact id and a source"),
        ("edit 30851821 twitter", "is not a source"),
        ("delete", "takes a contact id and a source"),
        ("delete x wechat", "contact id"),
        ("audit x", "number of entries"),
        ('openid "10014850', "A quote is not closed"),
    ],
)
def test_a_mistake_answers_with_help_naming_it(text: str, problem: str) -> None:
    parsed = parse_binding_command(text)
    assert isinstance(parsed, Help)
    assert parsed.problem is not None
    assert problem in str(parsed.problem)
