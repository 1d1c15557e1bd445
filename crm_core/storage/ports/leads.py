"""Leads and the consents recorded with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from crm_core.model import (
    ConsentRecord,
    Lead,
    LeadContactDetails,
    LeadFilter,
    LeadJoin,
    LeadMatch,
    LeadStatus,
    NewLead,
)


class LeadRepository(Protocol):
    """Leads and their listing for managers."""

    async def add_many(self, leads: Sequence[NewLead], now: datetime) -> list[tuple[Lead, bool]]:
        """Create each inbox row's lead once; returns (lead, created) in order."""

    async def lock(self, lead_id: int) -> Lead | None:
        """One lead, locked for the rest of the transaction."""

    async def set_status(
        self,
        lead_id: int,
        status: LeadStatus,
        now: datetime,
        *,
        junk_reason: str | None = None,
        taken: bool = False,
    ) -> None:
        """Move a lead to a status."""

    async def set_assignee(
        self, lead_id: int, manager_id: int | None, accept_by: datetime | None, now: datetime
    ) -> None:
        """Give a lead to a manager with the deadline to take it."""

    async def mark_converted(
        self,
        lead_id: int,
        contact_id: int,
        company_id: int | None,
        deal_id: int | None,
        now: datetime,
    ) -> None:
        """Record a conversion's result on the lead."""

    async def attached_to(self, lead_id: int) -> list[Lead]:
        """Later requests of the same person attached to this open lead."""

    async def assignee_id(self, lead_id: int) -> int | None:
        """The manager a lead is assigned to, if any."""

    async def attach(
        self, lead_ids: Sequence[int], open_lead_id: int | None, now: datetime
    ) -> None:
        """Attach leads to a person's open lead (None: detach them)."""

    async def set_contact(self, lead_id: int, details: LeadContactDetails, now: datetime) -> None:
        """Write the lead's fillable contact fields and messenger ids as given."""

    async def add_join(
        self,
        survivor_id: int,
        joined_id: int,
        by_lead_id: int | None,
        reason: str,
        before: dict[str, Any],
        moved: dict[str, list[int]],
        actor: str,
        now: datetime,
    ) -> int:
        """Journal a join of one open lead into another; returns its id."""

    async def get_join(self, join_id: int) -> LeadJoin | None:
        """One lead-join journal entry."""

    async def joins_of(self, lead_id: int) -> list[LeadJoin]:
        """The journal entries a lead took part in (as survivor or joined), oldest first."""

    async def mark_join_undone(self, join_id: int, actor: str, now: datetime) -> None:
        """Close a lead-join journal entry."""

    async def open_lead_of_contact(self, contact_id: int) -> Lead | None:
        """The contact's newest lead still in qualification (new or in work)."""

    async def unlink_contact(self, lead_id: int, now: datetime) -> None:
        """Detach a lead from its contact (a wrong link was rejected)."""

    async def fill_contact(
        self, lead_id: int, details: LeadContactDetails, now: datetime
    ) -> list[str]:
        """Fill the lead's empty contact fields from `details`; returns the fields filled."""

    async def record_match(
        self, lead_id: int, match: LeadMatch, assignee_id: int | None, now: datetime
    ) -> None:
        """Store the detector's decision; a known contact's manager becomes the assignee."""

    async def get(self, lead_id: int) -> Lead | None:
        """One lead by id."""

    async def list(self, where: LeadFilter, limit: int, before_id: int | None) -> list[Lead]:
        """Newest first, ids below `before_id` when paging."""

    async def triage(self, visible_to: str | None, limit: int) -> tuple[tuple[Lead, ...], int]:
        """New leads in triage order (urgent, nearest deadline, oldest): the first `limit`
        and the total; `visible_to` limits them to one manager's."""

    async def open_listing(
        self, visible_to: str | None, limit: int
    ) -> tuple[tuple[Lead, ...], int]:
        """Leads new or in work, urgent first, then newest: the first `limit` and the total;
        `visible_to` limits them to one manager's."""


class ConsentRepository(Protocol):
    """Personal-data consents, one record per lead and form."""

    async def add_many(self, consents: Sequence[ConsentRecord]) -> None:
        """Store consent records."""

    async def for_lead(self, lead_id: int) -> list[ConsentRecord]:
        """Consents recorded with a lead."""
