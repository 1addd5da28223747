"""Slack's limits hold for the largest and strangest records the backends can send.

Every payload the app sends in the other tests is checked by the emulated Slack; here the
builders meet extremes those flows rarely reach: huge remarks, many rows, mentions, long logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.blocks import audit, common, home
from bot.blocks.common import Block
from bot.clients.errors import BackendTimeout
from bot.i18n import LANGUAGE_NAMES, Messages, messages
from bot.models import (
    AccountSource,
    Binding,
    BindingQuery,
    Relation,
    RelationKey,
    RelationPage,
    RelationQuery,
    RelationSelection,
)
from bot.payloads import RequestRef
from bot.records import (
    BindingDeletion,
    Deletion,
    Executed,
    RecordOutcome,
    RelationDeletion,
    Result,
    Stale,
)
from bot.roles import Role
from bot.sandbox.blockkit import check_blocks, check_view
from bot.store import ApprovalRequest, ApprovalStatus, AuditEntry
from handlers.approvals import cards as approval_cards
from handlers.approvals import views as approvals
from handlers.bindings import cards as bindings
from handlers.bindings import views as binding_forms
from handlers.user_customer import cards, listing, modals
from handlers.user_customer.grammar import MAX_PAGE_SIZE, Follows, ListRelations
from handlers.user_customer.payloads import EditMetadata

NASTY = "<!channel> <@U1> &amp; *bold* `tick` " + "長い備考" * 2000


@pytest.fixture(params=sorted(LANGUAGE_NAMES))
def t(request: pytest.FixtureRequest) -> Messages:
    """Every builder is checked in every language: Chinese text is shorter in characters but
    its words and the backends' Chinese must still be cut where Slack counts."""
    return messages(request.param)


def binding(cid: int, source: AccountSource = AccountSource.WECHAT) -> Binding:
    return Binding.model_validate(
        {
            "aId": str(cid),
            "cId": str(cid),
            "account": "u2_" + "x" * 500,
            "remark": NASTY,
            "templateId": "0",
            "openId": "o`p<e>n" * 200,
            "appId": "",
            "account_source": source.value,
        }
    )


def relation(user: int, customer: int) -> Relation:
    return Relation(
        user_id=user,
        customer_id=customer,
        template=NASTY,
        script=NASTY,
        reference=NASTY,
        created="2018-11-28 10:40:31",
        is_available=1,
        boss_sync=0,
    )


def assert_fits(blocks: list[Block], surface: str = "message") -> None:
    problems = check_blocks(blocks, surface=surface)  # type: ignore[arg-type]
    assert problems == []


def test_escape_neutralises_mentions_and_cut_never_splits_an_entity() -> None:
    assert common.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    for limit in range(5, 40):
        text = common.cut(common.escape("<" * 50), limit)
        assert len(text) <= limit and not text.rstrip("…").endswith(("&", "&l", "&lt"))


def test_a_lookup_with_a_hundred_rows_and_failures_fits_one_message(t: Messages) -> None:
    results: dict[AccountSource, Any] = {
        AccountSource.WECHAT: [binding(cid) for cid in range(1, 101)],
        AccountSource.DINGDING: BackendTimeout("bangwo8", "bangwo8 did not answer in time."),
        AccountSource.OPEN: [],
        AccountSource.WORK_WECHAT: BackendTimeout("bangwo8", "bangwo8 " + NASTY),
    }
    blocks = bindings.lookup_message(
        t, BindingQuery(open_id="x"), results, correlation_id="abcd1234", elapsed=0.2
    )
    assert_fits(blocks)
    assert len(blocks) <= common.MAX_MESSAGE_BLOCKS
    assert t("…and %(count)s more not shown. Narrow the lookup to one source.", count=1)[:3] in str(
        blocks
    )


def test_cards_previews_and_modals_with_huge_values_fit(t: Messages) -> None:
    big = binding(30851821)
    assert_fits([bindings.binding_card(t, big, interactive=True)])
    assert_fits(bindings.delete_preview(t, big, fingerprint="f" * 12, correlation_id="r"))
    assert (
        check_view(
            binding_forms.edit_modal(t, binding_forms.EditForm.of(big), binding=big).to_dict()
        )
        == []
    )
    assert check_view(binding_forms.add_modal(t).to_dict()) == []


def test_a_full_relation_page_fits_with_ticks_and_menus(t: Messages) -> None:
    rows = [relation(998, 2000 + i) for i in range(MAX_PAGE_SIZE)]
    page = RelationPage(page_index=2, page_size=20, total_pages=9, total_records=170, data=rows)
    shown = listing.Listing(
        title="Relations of user 998",
        command=Follows(998, 2, MAX_PAGE_SIZE),
        previous=Follows(998, 1, MAX_PAGE_SIZE),
        next=ListRelations(RelationQuery(page=3, size=MAX_PAGE_SIZE)),
        empty="",
    )
    ticked = frozenset(row.key for row in rows)
    blocks = listing.list_message(t, shown, page, ticked=ticked, editable=True, correlation_id="r")
    assert_fits(blocks)


def test_a_delete_preview_of_many_relations_and_missing_ids_fits(t: Messages) -> None:
    found = [relation(998, 3000 + i) for i in range(20)]
    missing = [RelationKey(user_id=998, customer_id=9000 + i) for i in range(20)]
    blocks = cards.delete_preview(t, found, missing, fingerprint="f" * 12, correlation_id="r")
    assert_fits(blocks)


def request(records: Sequence[Binding | Relation], status: ApprovalStatus) -> ApprovalRequest:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    deletion: Deletion = (
        RelationDeletion(RelationSelection.of([r.key for r in records if isinstance(r, Relation)]))
        if isinstance(records[0], Relation)
        else BindingDeletion(records[0].key)
    )
    result: Result = (
        Stale(changes=[NASTY] * 30)
        if status is ApprovalStatus.STALE
        else Executed(
            outcomes=[
                RecordOutcome(
                    record=RelationKey(user_id=998, customer_id=i + 1),
                    deleted=i % 2 == 0,
                    sentence=NASTY,
                )
                for i in range(500)
            ]
        )
    )
    return ApprovalRequest(
        id=12345,
        requester="U0AGENT",
        channel_id="C0SUPPORT",
        deletion=deletion,
        snapshot=list(records),
        summary="500 relations of 3 users",
        status=status,
        created_at=now,
        expires_at=now + timedelta(hours=24),
        decided_by="U0APPROVER" if status is not ApprovalStatus.PENDING else None,
        decided_at=now if status is not ApprovalStatus.PENDING else None,
        reason=NASTY if status is ApprovalStatus.REJECTED else None,
        result=result,
        message_channel="C0APPROVALS",
        message_ts="1.1",
        finished_at=None,
    )


@pytest.mark.parametrize("status", list(ApprovalStatus))
def test_approval_cards_of_large_requests_fit_in_every_state(
    t: Messages, status: ApprovalStatus
) -> None:
    relations = [relation(998 + i % 3, i + 1) for i in range(500)]
    assert_fits(approval_cards.approval_card(t, request(relations, status)))
    many_bindings = [binding(i) for i in range(1, 40)]
    assert_fits(approval_cards.approval_card(t, request(many_bindings, status)))
    assert_fits(approvals.filed_notice(t, request(many_bindings, status), "C1", "r"))


def test_a_long_audit_log_fits(t: Messages) -> None:
    at = datetime(2026, 11, 22, tzinfo=UTC)
    entries = [
        AuditEntry(
            id=i,
            at=at,
            actor="U1",
            action="add",
            feature="uc",
            target=NASTY,
            outcome="ok",
            detail=NASTY,
        )
        for i in range(200)
    ]
    assert_fits(audit.audit_blocks(t, "uc", entries, "r"))


def test_reminders_dms_and_the_reject_form_fit(t: Messages) -> None:
    relations = [relation(998 + i % 3, i + 1) for i in range(500)]
    for status in ApprovalStatus:
        asked = request(relations, status)
        assert_fits([common.section(approvals.reminder(t, asked))])
        assert_fits([common.section(approvals.requester_update(t, asked))])
    # The largest id a request's buttons carry.
    largest = RequestRef(request_id=10**18 - 1)
    assert check_view(approvals.reject_modal(t, largest).to_dict()) == []
    big = relation(998, 1001)
    assert check_view(modals.add_modal(t, secret=NASTY, problem=NASTY).to_dict()) == []
    metadata = EditMetadata(user_id=998, customer_id=1001, shown={})
    form = modals.edit_modal(t, big, metadata, problem=NASTY)
    assert check_view(form.to_dict()) == []
    assert check_view(modals.edit_loading(t, big.key).to_dict()) == []


def test_the_home_tab_fits_with_many_pending_requests() -> None:
    pending = [request([binding(1)], ApprovalStatus.PENDING) for _ in range(60)]
    for code in ("en", "zh_CN"):
        view = home.home_view(messages(code), list(Role), pending, choice=None)
        assert check_view(view.to_dict()) == []
