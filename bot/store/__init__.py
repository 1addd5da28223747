"""Approvals and audit store.

Approval requests and the audit log live in one SQL database (SQLite by default,
PostgreSQL by changing the URL). A request's deletion, snapshot and result are JSON
columns, encoded and decoded here, at the store's edge, into the typed records of
`bot.records`; the store knows nothing of Slack or the backends.

Every state change is a single conditional UPDATE whose row count says whether this
caller made the transition. That, not a Python lock, is what makes a delete run exactly
once when several approvers (or processes) click at the same time.

Execution is a journal: APPROVED → EXECUTING (attempt, executor, lease) → sent (`sent_at`,
written before the write goes out) → EXECUTED / FAILED / STALE / UNKNOWN. Each step is
conditional on the attempt, so a replica that took a stranded request over (see
`take_over`) and the one it took over from can never both act. An open request (pending,
approved, executing) holds a claim row per record; the claim's primary key is what keeps
a record in one open request at a time, on every replica.
"""

from __future__ import annotations

from bot.records import (
    OPEN,
    ApprovalRequest,
    ApprovalStatus,
    AuditEntry,
    Decision,
    RecordsClaimed,
    UnknownRequestError,
)
from bot.store.audit import Audit
from bot.store.journal import Journal
from bot.store.replay import Replay
from bot.store.requests import Requests
from bot.store.schema import (
    UTCDateTime,
    approvals,
    audit_log,
    claims,
    metadata,
    normalize_database_url,
    seen_requests,
    shown_database_url,
)

__all__ = [
    "OPEN",
    "ApprovalRequest",
    "ApprovalStatus",
    "ApprovalStore",
    "AuditEntry",
    "Decision",
    "RecordsClaimed",
    "UTCDateTime",
    "UnknownRequestError",
    "approvals",
    "audit_log",
    "claims",
    "metadata",
    "normalize_database_url",
    "seen_requests",
    "shown_database_url",
]


class ApprovalStore(Requests, Journal, Audit, Replay):
    """Approval requests, their journal, the audit log and the replay table, in one database."""
