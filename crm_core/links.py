"""Links in notifications: the workplace page of a lead or a deal (which asks to sign in
first when needed), never the JSON of the API."""

from __future__ import annotations


def record_link(base: str, record: str, record_id: int | str) -> str | None:
    """`{base}/leads/{id}` or `{base}/deals/{id}` (`record`: "leads" or "deals"); None
    without a public base URL."""
    if not base:
        return None
    return f"{base.rstrip('/')}/{record}/{record_id}"


def lead_link(base: str, lead_id: int) -> str | None:
    """The page of a lead."""
    return record_link(base, "leads", lead_id)
