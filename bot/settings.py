"""Configuration from the environment (and an optional `.env`), named as in PRODUCT.md."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import parse_locale

UserIds = Annotated[frozenset[str], NoDecode]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Slack's ids: users U… or W… (Enterprise Grid), channels C… (public), G… (private), D… (DM).
# http or https, with a host; pydantic says which part is wrong, we say it in one line.
_HTTP_URL: Final = TypeAdapter(AnyHttpUrl)
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_TOKEN_PREFIXES: Final = {
    "slack_bot_token": (
        "xoxb-",
        "the Bot User OAuth Token from the app's OAuth & Permissions page",
    ),
    "slack_app_token": ("xapp-", "an app-level token with connections:write (Basic Information)"),
}
_DATABASE_SCHEMES: Final = {
    "sqlite": "aiosqlite",
    "sqlite+aiosqlite": "aiosqlite",
    "postgresql": "asyncpg",
    "postgres": "asyncpg",
    "postgresql+asyncpg": "asyncpg",
}
# What to set when a required variable is missing: the fix, in the operator's words.
_WHAT_TO_SET: Final = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page",
    "BANGWO8_BASE_URL": "the bangwo8 API base URL, e.g. https://www.bangwo8.com",
    "USER_CUSTOMER_BASE_URL": "the UserCustomer API base URL",
}


def parse_duration(value: Any) -> timedelta:
    """Accept `86400`, `90s`, `30m`, `24h`, `7d` (a bare number is seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("expected a duration such as 86400, 30m, 24h or 7d")
    amount, unit = match.groups()
    return timedelta(seconds=float(amount) * _UNIT_SECONDS[unit.lower()])


class ConfigurationError(Exception):
    """Settings are missing or malformed: one line per problem, each naming its variable."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    bangwo8_base_url: str
    bangwo8_account: str | None = None
    bangwo8_password: SecretStr | None = None
    bangwo8_token: SecretStr | None = None

    user_customer_base_url: str
    user_customer_secret: SecretStr | None = None
    user_customer_token: SecretStr | None = None
    user_customer_username: str | None = None
    user_customer_password: SecretStr | None = None
    user_customer_system: str = "support-bot"

    database_url: str = "sqlite+aiosqlite:///support-bot.db"
    approval_channel: str | None = None
    viewers: UserIds = frozenset()
    editors: UserIds = frozenset()
    approvers: UserIds = frozenset()
    allow_self_approval: bool = False
    approval_ttl: timedelta = timedelta(hours=24)
    http_timeout: float = Field(default=10.0, gt=0, le=120)
    # How long an approved delete may run before a sweeper presumes its replica dead and
    # settles it (never by sending it again); and how often every replica sweeps.
    approval_lease: timedelta = timedelta(minutes=2)
    sweep_interval: timedelta = timedelta(seconds=30)
    # The language of someone whose Slack locale is unknown (see bot/i18n).
    default_locale: str = "en-US"
    # Connections per backend, and how long a request may wait for one (apart from HTTP_TIMEOUT).
    http_max_connections: int = Field(default=100, ge=1, le=1000)
    http_queue_timeout: float = Field(default=5.0, gt=0, le=120)

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Raise ConfigurationError naming every problem, not just the first pydantic met.

        Cross-field rules are checked on the raw values, so they are reported even when a
        single field is malformed too.
        """
        problems = _cross_field_problems(data) if isinstance(data, dict) else []
        try:
            settings = handler(data)
        except ValidationError as error:
            raise ConfigurationError([*_describe(error), *problems]) from None
        if problems:
            raise ConfigurationError(problems)
        return settings

    @field_validator("viewers", "editors", "approvers", mode="before")
    @classmethod
    def _split_user_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = frozenset(part.strip() for part in value.split(",") if part.strip())
        wrong = sorted(str(v) for v in value if not _USER_ID.match(str(v)))
        if wrong:
            raise ValueError(
                f"{', '.join(repr(w) for w in wrong)} is not a Slack user id; give"
                " comma-separated ids such as U0123ABCD,U0456EFGH (profile → ⋯ → Copy member ID)"
            )
        return value

    @field_validator("approval_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a channel id; give the id such as C0123ABCD, not the name"
                " (channel details → About → Channel ID)"
            )
        return value

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_prefix(cls, value: SecretStr | None, info: Any) -> SecretStr | None:
        prefix, what = _TOKEN_PREFIXES[info.field_name]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must start with {prefix}: {what}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("approval_ttl", "approval_lease", "sweep_interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        ttl = parse_duration(value)
        if ttl <= timedelta(0):
            raise ValueError("must be positive")
        return ttl

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        parse_locale(value)
        return value

    @field_validator("slack_api_url", "bangwo8_base_url", "user_customer_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Checked by pydantic, kept as given: a base URL gains no trailing slash here.
        try:
            _HTTP_URL.validate_python(value)
        except ValidationError:
            raise ValueError("must be an http(s) URL such as https://host/") from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("approval_lease")
    @classmethod
    def _lease_outlasts_a_delete(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        # A delete is a re-check and a write, each up to HTTP_TIMEOUT.
        timeout = info.data.get("http_timeout")
        if timeout is not None and value.total_seconds() <= 2 * timeout:
            raise ValueError("must be longer than twice HTTP_TIMEOUT")
        return value


def check_database_url(value: str) -> str:
    """A URL the store can open: a known scheme, its driver installed, a SQLite folder present."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(
            "is not a database URL; use sqlite+aiosqlite:///path/to/file.db or"
            " postgresql://user:password@host/database"
        ) from None
    driver = _DATABASE_SCHEMES.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"{url.drivername}:// is not supported; use sqlite+aiosqlite:///file.db or postgresql://…"
        )
    try:
        __import__(driver)
    except ImportError:
        raise ValueError(
            f'needs the {driver} package: pip install "support-bot[postgres]"'
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).expanduser().parent
        if not folder.is_dir():
            raise ValueError(f"the folder {folder} does not exist; create it or point elsewhere")
    return value


def _cross_field_problems(data: dict[str, Any]) -> list[str]:
    def given(name: str) -> bool:
        value = data.get(name)
        return value is not None and value != ""

    problems = []
    # Socket Mode needs no signing secret: Slack's requests arrive over our own websocket.
    if not given("slack_app_token") and not given("slack_signing_secret"):
        problems.append(
            "SLACK_SIGNING_SECRET is not set (needed in HTTP mode): copy the Signing Secret from"
            " the app's Basic Information, or set SLACK_APP_TOKEN for Socket Mode"
        )
    if not given("bangwo8_token") and not (given("bangwo8_account") and given("bangwo8_password")):
        problems.append("BANGWO8_TOKEN, or BANGWO8_ACCOUNT and BANGWO8_PASSWORD, must be set")
    has_login = given("user_customer_username") and given("user_customer_password")
    if not given("user_customer_token") and not has_login:
        problems.append(
            "USER_CUSTOMER_TOKEN, or USER_CUSTOMER_USERNAME and USER_CUSTOMER_PASSWORD, must be set"
        )
    return problems


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for each in error.errors():
        name = "_".join(str(part) for part in each["loc"]).upper()
        if each["type"] == "missing":
            hint = _WHAT_TO_SET.get(name)
            problems.append(f"{name} is not set" + (f": set it to {hint}" if hint else ""))
        else:
            problems.append(f"{name}: {each['msg'].removeprefix('Value error, ')}")
    return problems


def load_settings(**overrides: Any) -> Settings:
    """The settings, or ConfigurationError listing every problem with them."""
    return Settings(**overrides)
