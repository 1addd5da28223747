"""Times on messages: Slack date tokens, so every reader sees their own zone. Pure."""

from __future__ import annotations

from datetime import UTC, datetime


def slack_date(moment: datetime) -> str:
    """`<!date^…^{date_short_pretty} {time}|2026-11-23 17:09 UTC>` for an aware datetime.

    Slack writes the date in each reader's zone and language (hence no words of ours inside
    the token); clients that cannot show tokens show the fallback, which is UTC and says so.
    """
    if moment.tzinfo is None:
        raise ValueError(f"a time for Slack must be timezone-aware, got naive {moment!r}")
    utc = moment.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"
