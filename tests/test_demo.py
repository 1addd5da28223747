"""`support-bot demo`: Slack played in a terminal, driven here by `--script` files."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import console
from bot.sandbox.console import run_demo
from bot.sandbox.harness import Sandbox, running_sandbox

REPO = Path(__file__).resolve().parent.parent


async def play(tmp_path: Path, script: str) -> str:
    """Replay `script` and return the transcript; the app must break no Slack rule."""
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    code = await run_demo(str(path), out=out)
    transcript = out.getvalue()
    assert code == 0, transcript
    return transcript


async def test_a_lookup_shows_cards_with_numbered_menus_and_buttons(tmp_path: Path) -> None:
    transcript = await play(tmp_path, "# look a contact up\n/binding 30851821\n3\n")

    assert "agent> /binding 30851821\n" in transcript
    assert "# look" not in transcript
    assert "── #support · only you can see this ──" in transcript
    assert "DingTalk binding of contact `30851821`" in transcript
    assert "openId: `10014850`" in transcript
    assert "⋯ [1a] Edit  [1b] Delete" in transcript and "⋯ [2a] Edit  [2b] Delete" in transcript
    assert "[3] Share in channel" in transcript
    # Escaped for Slack, shown as typed: this remark pings nobody in Slack and reads plainly here.
    assert "Remark: <!channel> & <b>" in transcript
    assert "Looking up" not in transcript  # the placeholder was waited out, not shown
    shared = transcript.split("agent> 3\n", 1)[1]
    assert "── #support ──" in shared and "shared by @agent" in shared


async def test_tick_boxes_are_numbered_and_ticking_redraws_the_page(tmp_path: Path) -> None:
    transcript = await play(tmp_path, "/uc list user=998\ntick 1 3\n")

    listed, ticked = transcript.split("agent> tick 1 3\n", 1)
    assert "47 relations · page 1 of 5" in listed
    assert "[1] ☐ user `998` → customer `2044`" in listed
    assert "[21] Next ▶" in listed
    assert "[1] ☑ user `998` → customer `2044`" in ticked
    assert "[3] ☑ user `998` → customer `2043`" in ticked
    assert "Delete selected (2)" in ticked
    assert ticked.count("(updated)") == 1  # both ticks, one drawing


async def test_an_add_through_the_modal_with_a_field_error_then_corrected(tmp_path: Path) -> None:
    script = """\
/binding add
# cId, source (by number), openId, appId (Enter: none)
abc
2
oid-1

# only the field in error is asked again
6862715
"""
    transcript = await play(tmp_path, script)

    assert "┌─ Add binding ─" in transcript
    assert "  Source (1 DingTalk, 2 WeChat, 3 WeCom, 4 Open platform): 2\n" in transcript
    first, second = transcript.split("  → Add\n")[1:3]
    assert "! The contact id is a positive whole number, like 30851821." in first
    assert "▸ Source: WeChat" in first  # what was typed is kept
    assert first.rstrip().endswith("Contact id (cId) [abc]: 6862715")
    assert "Contact `6862715` is now bound to WeChat openId `oid-1`." in second
    assert "(modal closed)" in second


async def test_a_delete_confirmed_then_approved_by_a_second_person(tmp_path: Path) -> None:
    script = """\
/binding delete 30851821 dd
1
y
/as approver
1
y
/as agent
"""
    transcript = await play(tmp_path, script)

    agent, approver, back = transcript.split("You are ")[1:4]
    assert "┌ Request this delete?" in agent and "  y/n: y" in agent
    assert "Request #1 filed" in agent
    assert "── #support-approvals ──" in agent and "⏳ Waiting for an approver" in agent
    assert approver.startswith("approver (U0APPROVER, approver).")
    assert "[1] Approve  [2] Reject" in approver  # the card, numbered for the approver
    assert "┌ Approve request #1?" in approver
    decided = approver.split("approver> 1\n", 1)[1]
    assert "── #support-approvals (updated) ──" in decided
    assert "✅ Approved and executed · by @approver" in decided
    assert "contact 30851821 DingTalk: deleted" in decided
    assert "── direct message from support-bot ──" not in approver  # the requester's DM
    assert "── direct message from support-bot ──" in back
    assert "Your delete request #1" in back


async def test_answering_no_to_a_confirm_dialog_sends_nothing(tmp_path: Path) -> None:
    transcript = await play(tmp_path, "/binding delete 30851821 dd\n1\nn\n")

    assert "  y/n: n\n  (cancelled)" in transcript
    assert "filed" not in transcript and "#support-approvals" not in transcript


def test_the_console_script_replays_a_file(tmp_path: Path) -> None:
    script = tmp_path / "lookup.txt"
    script.write_text("/binding 30851821 dd\nquit\n/binding 30851821 wx\n", encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--script", str(script)],
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "agent> /binding 30851821 dd" in done.stdout
    assert "DingTalk binding of contact `30851821`" in done.stdout
    assert "wx" not in done.stdout  # nothing after `quit` is played


def test_a_missing_script_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--script", "no-such-file.txt"],
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr == (
        "support-bot: demo: cannot read the script no-such-file.txt: No such file or directory\n"
    )


async def test_a_script_line_that_matches_nothing_stops_the_replay_naming_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "typo.txt"
    path.write_text("# a typo on line 3\n/binding 30851821 dd\n9\n/binding 30851821 wx\n")
    out, err = io.StringIO(), io.StringIO()

    code = await run_demo(str(path), out=out, err=err)

    assert code == 3
    assert err.getvalue() == f"support-bot: demo: {path} line 3: '9' matched nothing\n"
    assert "? '9' is not a command nor a number on screen" in out.getvalue()
    assert "agent> /binding 30851821 wx" not in out.getvalue()  # nothing after it is played


async def test_the_demo_clock_follows_real_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Sandbox] = []

    @asynccontextmanager
    async def recording(*args: Any, **kwargs: Any) -> AsyncIterator[Sandbox]:
        async with running_sandbox(*args, **kwargs) as sandbox:
            started.append(sandbox)
            yield sandbox

    monkeypatch.setattr(console, "running_sandbox", recording)
    await play(tmp_path, "/binding 30851821 dd\n")

    [sandbox] = started
    before = sandbox.clock()
    await asyncio.sleep(0.02)
    assert sandbox.clock() - before >= timedelta(seconds=0.02)
    assert abs(sandbox.clock() - datetime.now(UTC)) < timedelta(seconds=1)
