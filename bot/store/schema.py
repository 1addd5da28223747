"""The store's tables: approval requests, their claims, the audit log, requests seen."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.types import TypeDecorator

from bot.records import ApprovalStatus

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every backend.

    SQLite keeps datetimes as text without an offset, so values are converted to UTC
    before binding (keeping text comparisons like `expires_at > :now` correct) and
    given their UTC zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Stored as the lower-case value in a plain VARCHAR, so adding a status later needs no
# database-specific enum migration.
_STATUS_TYPE = Enum(
    ApprovalStatus,
    native_enum=False,
    length=16,
    values_callable=lambda statuses: [status.value for status in statuses],
)

metadata = MetaData()

approvals = Table(
    "approval_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("operation", JSON, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", _STATUS_TYPE, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("reason", Text),
    # SQL NULL rather than JSON 'null', so "no result yet" is queryable as IS NULL.
    Column("result", JSON(none_as_null=True)),
    Column("finished_at", UTCDateTime),
    Column("message_channel", String(64)),
    Column("message_ts", String(32)),
    # The execution journal: which attempt runs, who runs it, until when, and whether the
    # write may have gone out (set before sending, never cleared).
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("executor", String(128)),
    Column("started_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("reminded_at", UTCDateTime),
)

# One row per record of an open request; the primary key allows one open request per record.
claims = Table(
    "approval_claims",
    metadata,
    Column("record", String(200), primary_key=True),
    Column(
        "request_id",
        Integer,
        ForeignKey("approval_requests.id", name="fk_approval_claims_request_id"),
        nullable=False,
        index=True,
    ),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("feature", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_audit_log_feature_at", "feature", "at"),
)


# Requests already run: a second insert of the same key fails, in every replica at once.
seen_requests = Table(
    "seen_requests",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)


def normalize_database_url(url: str) -> str:
    """Pick the async driver for a plain `sqlite://` or `postgresql://` URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _ASYNC_DRIVERS:
        return url
    return f"{_ASYNC_DRIVERS[scheme]}://{rest}"


def shown_database_url(url: str) -> str:
    """The URL as an operator may see it: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
