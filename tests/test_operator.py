"""An operator's first hour: `check` names every problem at once, `serve` fails in one line."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest

from bot.check import run_check
from bot.logs import MAX_LINE, JsonFormatter
from bot.sandbox.http import bind_loopback
from tests.test_serve import REPO, Backends, backends, environment, free_port

__all__ = ["backends"]  # the fixture, shared with test_serve


@dataclass
class Done:
    returncode: int | None
    stdout: str
    stderr: str


async def support_bot(*args: str, env: dict[str, str], cwd: Path, timeout: float = 30) -> Done:
    """Run the console script while this loop keeps serving the emulators."""
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Done(process.returncode, stdout.decode(), stderr.decode())


async def test_check_from_an_empty_environment_names_every_missing_setting_at_once(
    tmp_path: Path,
) -> None:
    done = await support_bot("check", env={"PATH": "", "PYTHONPATH": str(REPO)}, cwd=tmp_path)

    assert done.returncode == 2
    lines = done.stdout.splitlines()
    failed = [line for line in lines if line.startswith("configuration: FAILED: ")]
    assert len(failed) == 6, done.stdout
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "BANGWO8_BASE_URL",
        "BANGWO8_TOKEN",
        "USER_CUSTOMER_BASE_URL",
        "USER_CUSTOMER_TOKEN",
    ):
        assert any(name in line for line in failed), name
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SLACK_BOT_TOKEN", "abc", "SLACK_BOT_TOKEN: must start with xoxb-"),
        ("APPROVERS", "U1;U2", "APPROVERS: 'U1;U2' is not a Slack user id"),
        ("DATABASE_URL", "garbage", "DATABASE_URL: is not a database URL"),
        (
            "DATABASE_URL",
            "sqlite+aiosqlite:///no/such/folder/bot.db",
            "DATABASE_URL: the folder no/such/folder does not exist",
        ),
    ],
)
async def test_check_and_serve_refuse_a_malformed_setting_in_one_line(
    backends: Backends, tmp_path: Path, name: str, value: str, expected: str
) -> None:
    env = {**environment(backends.settings()), name: value}

    checked, served = await asyncio.gather(
        support_bot("check", env=env, cwd=tmp_path),
        support_bot("serve", "--port", str(free_port()), env=env, cwd=tmp_path),
    )

    assert checked.returncode == 2
    assert f"configuration: FAILED: {expected}" in checked.stdout
    assert "configuration: ok" not in checked.stdout
    assert served.returncode == 2
    [line] = served.stderr.splitlines()
    assert line.startswith(f"support-bot: configuration error: {expected}")
    for done in (checked, served):
        assert "Traceback" not in done.stdout + done.stderr


async def test_check_names_an_unreachable_database(backends: Backends) -> None:
    url = f"postgresql://bot:secret-pw@127.0.0.1:{free_port()}/support"
    out = StringIO()
    assert await run_check(backends.settings(database_url=url), out=out) == 1
    [store] = [line for line in out.getvalue().splitlines() if line.startswith("store:")]
    assert store.startswith(
        "store: FAILED: cannot open DATABASE_URL (postgresql://bot:***@127.0.0.1"
    )
    assert "secret-pw" not in out.getvalue()
    assert "bangwo8: ok" in out.getvalue()


async def test_serve_with_an_unreachable_database_is_one_line(
    backends: Backends, tmp_path: Path
) -> None:
    env = {
        **environment(backends.settings()),
        "DATABASE_URL": f"postgresql://bot:pw@127.0.0.1:{free_port()}/support",
    }
    done = await support_bot("serve", "--port", str(free_port()), env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("support-bot: cannot start: store: FAILED: cannot open DATABASE_URL")


async def test_check_tries_the_app_token_and_the_bot_token(backends: Backends) -> None:
    out = StringIO()
    settings = backends.settings(slack_app_token="xapp-wrong", slack_bot_token="xoxb-wrong")
    assert await run_check(settings, out=out) == 1
    report = out.getvalue()
    assert "Slack: FAILED: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in report
    assert "Slack Socket Mode: FAILED: Slack refused SLACK_APP_TOKEN (invalid_auth)" in report
    assert "wrong" not in report.replace("xapp-wrong", "").replace("xoxb-wrong", "")
    assert "xapp-wrong" not in report and "xoxb-wrong" not in report

    out = StringIO()
    settings = backends.settings(slack_app_token=backends.slack.app_token)
    backends.slack.socket_mode_url = "ws://127.0.0.1:9/unused"
    assert await run_check(settings, out=out) == 0
    assert "Slack Socket Mode: ok" in out.getvalue()


async def test_serve_with_a_wrong_app_token_stops_in_one_line(
    backends: Backends, tmp_path: Path
) -> None:
    backends.slack.socket_mode_url = "ws://127.0.0.1:9/unused"
    env = {**environment(backends.settings()), "SLACK_APP_TOKEN": "xapp-wrong"}
    done = await support_bot("serve", "--port", str(free_port()), env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "support-bot: cannot start: Slack Socket Mode: FAILED: Slack refused SLACK_APP_TOKEN"
        " (invalid_auth); create an app-level token with connections:write under Basic"
        " Information, and turn Socket Mode on"
    )
    assert "Traceback" not in done.stderr


async def test_serve_whose_health_port_is_taken_stops_in_one_line(
    backends: Backends, tmp_path: Path
) -> None:
    """In Socket Mode the health endpoint's port is bound after the Socket Mode client (and
    its HTTP session) exists; a taken port left that session unclosed, and asyncio printed
    "Unclosed client session" as an error after the one line."""
    backends.slack.socket_mode_url = "ws://127.0.0.1:9/unused"
    env = {**environment(backends.settings(slack_app_token=backends.slack.app_token))}
    taken = bind_loopback(free_port())
    try:
        port = str(taken.getsockname()[1])
        done = await support_bot("serve", "--port", port, env=env, cwd=tmp_path)
    finally:
        taken.close()

    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("support-bot: cannot start: cannot listen on ")
    assert f":{port} for /healthz" in last and "use --port" in last
    assert "Unclosed" not in done.stderr and '"level": "error"' not in done.stderr
    assert "Traceback" not in done.stderr


# ---- logs -------------------------------------------------------------------------------


def test_a_log_line_has_no_empty_fields_no_ansi_and_a_bounded_length() -> None:
    import logging

    record = logging.makeLogRecord(
        {
            "name": "uvicorn.error",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "Started server process [%d]",
            "args": (42,),
            "color_message": "Started server process [\x1b[36m%d\x1b[0m]",
            "status": None,
            "ref": "-",
            "remark": "\x1b[31mred\x1b[0m " + "x" * 20_000,
        }
    )
    line = JsonFormatter().format(record)
    event = json.loads(line)
    assert "color_message" not in event and "status" not in event and "ref" not in event
    assert "\x1b" not in line and len(line) <= MAX_LINE
    assert event["remark"].startswith("red xxx") and event["remark"].endswith("more chars)")


def test_an_exception_is_one_line_with_where_it_was_raised() -> None:
    import logging

    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except ConnectionRefusedError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    event = json.loads(JsonFormatter().format(record))
    assert event["error"] == "ConnectionRefusedError: [Errno 111] Connect call failed"
    assert event["where"].endswith("in test_an_exception_is_one_line_with_where_it_was_raised")
    assert "Traceback" not in json.dumps(event)


async def test_no_start_up_warning_with_a_correct_configuration(backends: Backends) -> None:
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"],
        "--port",
        str(free_port()),
        env=environment(backends.settings()),
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines = []
    try:
        async with asyncio.timeout(30):
            while b"Uvicorn running" not in (line := await process.stderr.readline()):
                assert line, b"".join(lines)
                lines.append(line)
    finally:
        process.terminate()
        await process.wait()
    text = b"".join(lines).decode()
    events = [json.loads(line) for line in text.splitlines()]
    assert not [e for e in events if e["level"] in ("warning", "error")], text
    assert "\\u001b" not in text and "\x1b" not in text and "color_message" not in text
    assert all(None not in e.values() for e in events)


async def test_serve_refuses_a_store_migrated_by_a_newer_version_in_one_line(
    backends: Backends, tmp_path: Path
) -> None:
    """The migrations run in a child (the serving process never loads Alembic); what the
    child found is still one line, and nothing is served."""
    database = tmp_path / "newer.db"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
        connection.commit()
    env = {**environment(backends.settings()), "DATABASE_URL": f"sqlite:///{database}"}
    done = await support_bot("serve", "--port", str(free_port()), env=env, cwd=tmp_path)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "support-bot: cannot start: the database is at schema revision 9999, which this"
        " version does not know (it needs 0004): it was migrated by a newer version of"
        " support-bot"
    )
