"""`[privacy]`: how long leads that never became business are kept before anonymisation."""

from __future__ import annotations

from dataclasses import dataclass

from config.reader import Section

DEFAULT_RETENTION_DAYS = 1095  # three years


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """Personal data retention (152-FZ): junk and unconverted leads older than this many
    days are anonymised by the daily retention job."""

    retention_days: int = DEFAULT_RETENTION_DAYS


def privacy_settings(s: Section) -> PrivacySettings:
    """`[privacy]`: the retention period in days."""
    return PrivacySettings(
        retention_days=s.integer(
            "retention_days", DEFAULT_RETENTION_DAYS, minimum=1, maximum=36_500
        )
    )
