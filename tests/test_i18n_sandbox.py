"""Each person reads the app in their own language, end to end through the sandbox."""

from __future__ import annotations

import asyncio

from bot.blocks.home import LANGUAGE_ACTION
from bot.sandbox.harness import AGENT, AGENT_ZH, APPROVER, APPROVER_ZH, Sandbox
from tests.helpers import button, command, reply, text_of
from tests.test_approvals import approval_card, click_approve, file_binding_delete, settled, told


async def home_text(sandbox: Sandbox, user: str) -> str:
    before = sandbox.slack.home_view(user)
    await sandbox.slack.open_home(user)
    view = await sandbox.slack.wait_for(
        lambda: ((v := sandbox.slack.home_view(user)) is not before and v) or None
    )
    return text_of(view)


def locale_lookups(sandbox: Sandbox, user: str) -> list[dict[str, object]]:
    return [
        c.body
        for c in sandbox.slack.calls
        if c.method == "users.info" and c.body.get("user") == user
    ]


async def test_help_is_in_the_readers_slack_language_asked_after_the_ack(sandbox: Sandbox) -> None:
    held = sandbox.slack.held["users.info"] = asyncio.Event()
    ack = await sandbox.slack.slash_command("/binding", "help", user_id=AGENT_ZH)
    # Acked while Slack has not yet said which language this person reads.
    assert ack.status == 200 and not ack.body
    assert not [m for m in sandbox.slack.messages if m.response_url_id]
    held.set()
    chinese = text_of(await reply(sandbox, ack))
    assert "查询联系人的全部绑定，四个来源同时查询" in chinese
    assert "示例：" in chinese and "/binding 30851821 微信" in chinese
    assert "钉钉" in chinese and "Examples" not in chinese
    assert [str(a.get("include_locale")).lower() for a in locale_lookups(sandbox, AGENT_ZH)] in (
        ["true"],
        ["1"],
    )

    english = text_of(await command(sandbox, "/binding", "help", user=AGENT))
    assert "every binding of a contact" in english and "Examples:" in english
    assert "查询" not in english


async def test_a_usage_error_reads_in_chinese_around_what_was_typed(sandbox: Sandbox) -> None:
    shown = text_of(await command(sandbox, "/uc", "frobnicate", user=AGENT_ZH))
    assert "无法识别该输入" in shown and "`frobnicate`" in shown
    assert "`/uc get &lt;user_id&gt; &lt;customer_id&gt;`：查询一条关系" in shown


async def test_home_is_in_each_approvers_language(sandbox: Sandbox) -> None:
    await file_binding_delete(sandbox)
    chinese = await home_text(sandbox, APPROVER_ZH)
    assert "你的角色： *查看者、编辑者和审批人*" in chinese
    assert "*待审批*" in chinese and "#1" in chinese and "申请人 <@U0AGENT>" in chinese
    assert "*账号绑定*" in chinese and "使用我的 Slack 语言" in chinese
    english = await home_text(sandbox, APPROVER)
    assert "Your roles: *viewer, editor, and approver*" in english
    assert "*Waiting for approval*" in english and "Use my Slack language" in english


async def test_a_language_picked_on_home_is_stored_and_followed(sandbox: Sandbox) -> None:
    assert "*账号绑定*" in await home_text(sandbox, AGENT_ZH)
    home = sandbox.slack.home_view(AGENT_ZH)
    assert home is not None
    await sandbox.slack.click_in_view(home, LANGUAGE_ACTION, selected_option_value="en")
    redrawn = await sandbox.slack.wait_for(
        lambda: "*Bindings*" in text_of(sandbox.slack.home_view(AGENT_ZH)) or None  # type: ignore[arg-type]
    )
    assert redrawn
    # In the database, so every replica answers in it.
    assert await sandbox.deps.locales.preferences.locale(AGENT_ZH) == "en"
    assert "every binding of a contact" in text_of(
        await command(sandbox, "/binding", "help", user=AGENT_ZH)
    )

    home = sandbox.slack.home_view(AGENT_ZH)
    assert home is not None
    await sandbox.slack.click_in_view(home, LANGUAGE_ACTION, selected_option_value="slack")
    await sandbox.slack.wait_for(
        lambda: "*账号绑定*" in text_of(sandbox.slack.home_view(AGENT_ZH)) or None  # type: ignore[arg-type]
    )
    assert await sandbox.deps.locales.preferences.locale(AGENT_ZH) is None


async def test_chinese_source_names_work_in_commands(sandbox: Sandbox) -> None:
    shown = text_of(await command(sandbox, "/binding", "30851821 微信", user=AGENT_ZH))
    assert "`oWx_30851821`" in shown


async def test_a_chinese_lookup_reads_in_chinese_and_english_is_unchanged(
    sandbox: Sandbox,
) -> None:
    chinese = text_of(await command(sandbox, "/uc", "get 998 1001", user=AGENT_ZH))
    assert "用户 `998` 关注客户 `1001`" in chinese and "分享到频道" in chinese
    assert "follows customer" not in chinese
    english = text_of(await command(sandbox, "/uc", "get 998 1001", user=AGENT))
    assert "User `998` follows customer `1001`" in english and "Share in channel" in english


async def test_a_chinese_delete_is_carded_in_the_requesters_language_and_approved_in_chinese(
    sandbox: Sandbox,
) -> None:
    preview = await command(sandbox, "/binding", "delete 30851821 钉钉", user=AGENT_ZH)
    assert "*将删除此绑定*" in text_of(preview) and "申请删除" in str(preview.blocks)
    value = button(preview, "binding_delete")["value"]
    await sandbox.slack.click(preview, "binding_delete", value=value, user_id=AGENT_ZH)
    await sandbox.slack.wait_for(lambda: "已提交" in text_of(preview))
    card = await approval_card(sandbox)
    shown = text_of(card)
    # The requester's language, and times as date tokens each reader sees in their zone.
    assert "的 *删除申请 #1*" in shown and "联系人 30851821 的钉钉绑定" in shown
    assert "<!date^" in shown and "UTC>" in shown and " UTC" not in shown.replace(" UTC>", "")
    assert "等待审批人" in shown and "Waiting" not in shown

    await click_approve(sandbox, card, user=APPROVER_ZH)
    done = await settled(sandbox, card, "已批准并执行")
    assert "已删除" in done and "<@U0APPROVERZH>" in done
    assert "联系人 30851821 钉钉: 已删除" in done and "contact 30851821" not in done
    dm = await told(sandbox, AGENT_ZH, "你的删除申请 #1")
    assert "已批准并执行" in text_of(dm)


async def test_a_chinese_modal_add_shows_field_errors_in_chinese(sandbox: Sandbox) -> None:
    await command(sandbox, "/binding", "help", user=AGENT_ZH)  # the language is known now
    ack = await sandbox.slack.slash_command("/binding", "add", user_id=AGENT_ZH)
    assert ack.status == 200
    view = await sandbox.slack.wait_for(lambda: sandbox.slack.current_view(AGENT_ZH))
    assert "添加绑定" in str(view.view) and "联系人 ID（cId）" in str(view.view)
    answer = await sandbox.slack.submit_view(
        view, {"cid": "abc", "source": "wechat", "open_id": "o1"}, user_id=AGENT_ZH
    )
    assert answer.body["errors"] == {"cid": "联系人 ID 是正整数，例如 30851821。"}
