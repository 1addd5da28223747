"""Small untruths: every sentence is true and uses the names people use."""

from __future__ import annotations

from bot.sandbox.harness import APPROVER, VIEWER, Sandbox
from tests.helpers import audited, command, text_of
from tests.test_approvals import click_approve, file_binding_delete, settled


async def test_an_id_too_large_is_said_to_be_too_large(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "99999999999999999999")
    assert "`99999999999999999999` is too large" in text_of(message)
    assert "not a positive whole number" not in text_of(message)
    uc = await command(sandbox, "/uc", "get 998 123456789012345678901")
    assert "is too large" in text_of(uc)


async def test_the_add_suggestion_carries_the_source_already_known(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "6862715 wx")
    assert "Add one with `/binding add 6862715 wechat &lt;openId&gt;`" in text_of(message)


async def test_source_names_are_shown_as_help_gives_them(sandbox: Sandbox) -> None:
    message = await command(sandbox, "/binding", "51234567")
    assert "WeCom (`workwechat`)" in text_of(message)
    assert "workWechat" not in str(message.blocks)


async def test_audit_rows_are_sentences_one_per_thing_that_happened(sandbox: Sandbox) -> None:
    await command(sandbox, "/binding", "add 6862715 wechat 564354327")
    await command(sandbox, "/binding", "add 6862716 wechat 1", user=VIEWER)
    await command(sandbox, "/binding", "audit", user=VIEWER)
    card = await file_binding_delete(sandbox)
    sandbox.bangwo8.bindings[(30851821, "dingding")]["openId"] = "changed-meanwhile"
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Not run: the records changed")
    entries = await audited(sandbox, 5, feature="binding")
    assert len(entries) == 5, entries  # add, 2 refusals, request, approval (stale): one each
    log = text_of(await command(sandbox, "/binding", "audit", user=APPROVER))
    for internal in ("addnow", "showaudit", "open_id", "→ stale", "delete → "):
        assert internal not in log, internal
    assert "added the binding 6862715 wechat: bound to openId 564354327" in log
    assert "was refused: read the audit log" in log
    assert (
        "approved request #1 the DingTalk binding of contact 30851821: nothing was deleted, "
        "the records changed since it was filed" in log
    )
