"""Configuration: the names of PRODUCT.md, secrets kept secret, one clear line when wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import ConfigurationError, load_settings

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-secret-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "BANGWO8_BASE_URL": "https://bangwo8.example",
    "BANGWO8_ACCOUNT": "agent",
    "BANGWO8_PASSWORD": "bangwo8-password",
    "USER_CUSTOMER_BASE_URL": "https://uc.example",
    "USER_CUSTOMER_USERNAME": "support",
    "USER_CUSTOMER_PASSWORD": "uc-password",
}


EXTRA = [
    "SLACK_APP_TOKEN",
    "EDITORS",
    "APPROVERS",
    "VIEWERS",
    "APPROVAL_CHANNEL",
    "APPROVAL_TTL",
    "HTTP_TIMEOUT",
    "DATABASE_URL",
    "BANGWO8_TOKEN",
    "USER_CUSTOMER_TOKEN",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]  # no stray .env
    for name in [*BASE, *EXTRA]:
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def problem(env: pytest.MonkeyPatch) -> str:
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    return str(raised.value)


def test_reads_the_documented_names(env: pytest.MonkeyPatch) -> None:
    env.setenv("EDITORS", "U1, U2,,U3")
    env.setenv("APPROVAL_TTL", "90m")
    settings = load_settings()
    assert settings.editors == frozenset({"U1", "U2", "U3"})
    assert settings.viewers == frozenset()
    assert settings.approval_ttl == timedelta(minutes=90)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.allow_self_approval is False


def test_secrets_never_show_in_repr(env: pytest.MonkeyPatch) -> None:
    shown = repr(load_settings())
    for secret in ("xoxb-secret-token", "signing-secret-value", "bangwo8-password", "uc-password"):
        assert secret not in shown


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BANGWO8_BASE_URL", None, "BANGWO8_BASE_URL is not set"),
        ("SLACK_BOT_TOKEN", None, "SLACK_BOT_TOKEN is not set"),
        ("HTTP_TIMEOUT", "soon", "HTTP_TIMEOUT: Input should be a valid number"),
        ("APPROVAL_TTL", "tomorrow", "APPROVAL_TTL: expected a duration"),
        ("USER_CUSTOMER_BASE_URL", "ftp://uc", "USER_CUSTOMER_BASE_URL: must be an http(s) URL"),
        ("BANGWO8_BASE_URL", "https://", "BANGWO8_BASE_URL: must be an http(s) URL such as"),
        ("BANGWO8_BASE_URL", "bangwo8.example", "BANGWO8_BASE_URL: must be an http(s) URL"),
        ("SLACK_API_URL", "http:// slack", "SLACK_API_URL: must be an http(s) URL"),
        ("SLACK_SIGNING_SECRET", None, "SLACK_SIGNING_SECRET is not set (needed in HTTP mode)"),
        ("BANGWO8_PASSWORD", None, "BANGWO8_TOKEN, or BANGWO8_ACCOUNT and BANGWO8_PASSWORD"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    env: pytest.MonkeyPatch, name: str, value: str | None, expected: str
) -> None:
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    message = problem(env)
    assert expected in message and "\n" not in message


def test_socket_mode_needs_no_signing_secret(env: pytest.MonkeyPatch) -> None:
    env.delenv("SLACK_SIGNING_SECRET")
    env.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().slack_app_token is not None


def test_a_token_replaces_basic_auth_and_login(env: pytest.MonkeyPatch) -> None:
    for name in (
        "BANGWO8_ACCOUNT",
        "BANGWO8_PASSWORD",
        "USER_CUSTOMER_USERNAME",
        "USER_CUSTOMER_PASSWORD",
    ):
        env.delenv(name)
    env.setenv("BANGWO8_TOKEN", "t1")
    env.setenv("USER_CUSTOMER_TOKEN", "t2")
    settings = load_settings()
    assert settings.bangwo8_token is not None and settings.user_customer_token is not None


def test_every_problem_is_reported_at_once_from_an_empty_environment(
    env: pytest.MonkeyPatch,
) -> None:
    for name in BASE:
        env.delenv(name)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    problems = raised.value.problems
    # One run names all six required settings (the fix included), one line each.
    for name in (
        "SLACK_BOT_TOKEN is not set: set it to the Bot User OAuth Token (xoxb-",
        "BANGWO8_BASE_URL is not set",
        "USER_CUSTOMER_BASE_URL is not set",
        "SLACK_SIGNING_SECRET is not set",
        "BANGWO8_TOKEN, or BANGWO8_ACCOUNT and BANGWO8_PASSWORD",
        "USER_CUSTOMER_TOKEN, or USER_CUSTOMER_USERNAME and USER_CUSTOMER_PASSWORD",
    ):
        assert sum(p.startswith(name) for p in problems) == 1, (name, problems)
    assert len(problems) == 6 and all("\n" not in p for p in problems)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SLACK_BOT_TOKEN", "abc", "SLACK_BOT_TOKEN: must start with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "SLACK_APP_TOKEN: must start with xapp-"),
        ("APPROVAL_CHANNEL", "general", "APPROVAL_CHANNEL: 'general' is not a channel id"),
        ("APPROVAL_CHANNEL", "#support", "APPROVAL_CHANNEL: '#support' is not a channel id"),
        ("APPROVERS", "U1;U2", "APPROVERS: 'U1;U2' is not a Slack user id"),
        ("EDITORS", "U0AGENT,alice", "EDITORS: 'alice' is not a Slack user id"),
        ("DATABASE_URL", "garbage", "DATABASE_URL: is not a database URL"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: mysql:// is not supported"),
        (
            "DATABASE_URL",
            "sqlite+aiosqlite:////nonexistent-folder/x/bot.db",
            "DATABASE_URL: the folder /nonexistent-folder/x does not exist",
        ),
    ],
)
def test_malformed_values_are_refused_naming_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    env.setenv(name, value)
    message = problem(env)
    assert message.startswith(expected) and "\n" not in message
    assert "abc" not in message or name != "SLACK_BOT_TOKEN"  # a token is never echoed


def test_slack_ids_and_tokens_of_the_right_shape_are_accepted(env: pytest.MonkeyPatch) -> None:
    env.setenv("APPROVAL_CHANNEL", "C0123ABCD")
    env.setenv("APPROVERS", "U0123ABCD, W0456EFGH")
    env.setenv("SLACK_APP_TOKEN", "xapp-1-A0-1-abc")
    env.setenv("DATABASE_URL", "postgresql://bot:pw@db.example/support")
    settings = load_settings()
    assert settings.approvers == frozenset({"U0123ABCD", "W0456EFGH"})
    assert settings.approval_channel == "C0123ABCD"


def test_base_urls_are_checked_by_pydantic_and_kept_as_given(env: pytest.MonkeyPatch) -> None:
    env.setenv("BANGWO8_BASE_URL", "http://[::1]:8080")
    env.setenv("USER_CUSTOMER_BASE_URL", "https://uc.example/v2")
    settings = load_settings()
    assert settings.bangwo8_base_url == "http://[::1]:8080"  # no slash added
    assert settings.user_customer_base_url == "https://uc.example/v2"
