"""Configuration from the environment (and an optional `.env`), named as in PRODUCT.md."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

UserIds = Annotated[frozenset[str], NoDecode]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


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
    # Connections per backend, and how long a request may wait for one (apart from HTTP_TIMEOUT).
    http_max_connections: int = Field(default=100, ge=1, le=1000)
    http_queue_timeout: float = Field(default=5.0, gt=0, le=120)

    @field_validator("viewers", "editors", "approvers", mode="before")
    @classmethod
    def _split_user_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("approval_ttl", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        ttl = parse_duration(value)
        if ttl <= timedelta(0):
            raise ValueError("must be positive")
        return ttl

    @field_validator("slack_api_url", "bangwo8_base_url", "user_customer_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _signing_secret_for_http(self) -> Settings:
        # Socket Mode needs no signing secret: Slack's requests arrive over our own websocket.
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError("SLACK_SIGNING_SECRET is not set (needed in HTTP mode)")
        return self

    @model_validator(mode="after")
    def _backend_credentials(self) -> Settings:
        if self.bangwo8_token is None and not (self.bangwo8_account and self.bangwo8_password):
            raise ValueError("BANGWO8_TOKEN, or BANGWO8_ACCOUNT and BANGWO8_PASSWORD, must be set")
        has_login = self.user_customer_username and self.user_customer_password
        if self.user_customer_token is None and not has_login:
            raise ValueError(
                "USER_CUSTOMER_TOKEN, or USER_CUSTOMER_USERNAME and USER_CUSTOMER_PASSWORD,"
                " must be set"
            )
        return self


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


def describe_validation_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = "_".join(str(part) for part in first["loc"]).upper()
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"{location} is not set"
    return f"{location}: {reason}" if location else reason


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None
