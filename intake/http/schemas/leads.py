"""Leads: the lead as managers see it, its detail and listing, and the lifecycle commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.assignment import AssignmentKind
from crm_core.model import LeadFlag, LeadStatus
from intake.http.schemas.base import (
    Amount,
    AnyMap,
    Body,
    Flag,
    Id,
    NonBlank,
    Shape,
    StringMap,
    enum_schema,
)
from intake.http.schemas.records import Work

LeadStatusName = Annotated[str, WithJsonSchema(enum_schema(LeadStatus))]
LeadFlagName = Annotated[str, WithJsonSchema(enum_schema(LeadFlag))]
# "manual": a take or a reassignment by a person rather than the router.
AssignmentKindName = Annotated[str, WithJsonSchema(enum_schema(AssignmentKind, extra=("manual",)))]
# The detector's decisions, and "confirmed" once a manager answered a review.
DECISIONS = ("auto", "review", "new", "confirmed")


class DuplicateCheck(Shape):
    """The duplicate detector's decision about a lead, with its explanation."""

    decision: Literal["auto", "review", "new", "confirmed"]
    score: float
    explanation: AnyMap = Field(
        description="Candidates compared, each field's evidence and weight"
    )


class Lead(Shape):
    """A lead as the API shows it (listing, commands)."""

    id: int
    intake_id: int = Field(description="The inbox row the lead came from")
    status: LeadStatusName
    channel: str = Field(examples=["webform"])
    source: str = Field(description="Form key, bot name, mailbox...")
    form: str | None = Field(description="The form key of a web-form lead")
    name: str | None
    first_name: str | None
    last_name: str | None
    patronymic: str | None
    phone: str | None = Field(description="E.164, null when absent/invalid")
    phone_raw: str | None = Field(description="The phone as submitted")
    phone_extension: str | None
    email: str | None = Field(description="Normalized, null when invalid")
    email_raw: str | None
    company: str | None
    position: str | None
    messenger_ids: StringMap
    comment: str | None
    utm: StringMap
    page_url: str | None
    referrer: str | None
    flags: list[LeadFlagName]
    fields: StringMap = Field(description="Every submitted field, raw")
    meta: StringMap
    queue: str | None
    pipeline: str | None
    assignee: str | None = Field(description="Manager login")
    assignee_id: int | None = Field(description="Manager id")
    accept_by: datetime | None = Field(
        description="When the assignee must take it, or it is handed to someone else"
    )
    taken_at: datetime | None
    junk_reason: str | None = Field(description="One of the configured junk reasons")
    converted_at: datetime | None
    deal_id: int | None = Field(description="The deal its conversion created")
    contact_id: int | None = Field(description="Known contact it came from or became")
    company_id: int | None
    is_repeat: bool = Field(description="From a client already known")
    duplicate_of: int | None = Field(
        description="The person's open lead this message was attached to"
    )
    duplicate_check: DuplicateCheck | None
    received_at: datetime
    created_at: datetime
    updated_at: datetime


class Consent(Shape):
    """A personal-data consent (152-FZ): which text version was agreed to, and when."""

    given: bool
    text_version: str | None
    raw_value: str | None
    source: str
    recorded_at: datetime


class LeadJoinEntry(Shape):
    """One person's open lead joined into their earliest (a chain of channels), journaled."""

    id: int = Field(description="The join's id: POST /api/v1/leads/joins/{id}/undo undoes it")
    survivor_id: int = Field(description="The earliest lead, which stays open")
    joined_id: int = Field(description="The lead attached to it by the join")
    by_lead_id: int | None = Field(description="The new lead whose evidence tied them")
    reason: str = Field(description="Why, with the evidence for each lead (Russian)")
    joined_at: datetime
    undone_at: datetime | None


class LeadDetail(Lead, Work):
    """One lead with its consents, health, tasks, activities and joins."""

    consents: list[Consent]
    joins: list[LeadJoinEntry] = Field(
        description="Joins this lead took part in, as survivor or as joined, oldest first"
    )


class JoinUndone(Shape):
    """An undone join: the joined lead, open and on its own again."""

    join_id: int
    restored: Lead


class LeadPage(Shape):
    """A page of leads, newest first."""

    items: list[Lead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")


class AssignmentEntry(Shape):
    """One assignment decision about a lead, with its reason."""

    manager_id: int | None
    queue: str | None
    kind: AssignmentKindName
    reason: str
    decided_at: datetime
    accept_by: datetime | None
    wait_until: datetime | None


class AssignmentLog(Shape):
    """Every assignment decision about a lead, oldest first."""

    items: list[AssignmentEntry]


class ContactChoice(Body):
    """The contact a manager confirms or rejects for a lead."""

    contact_id: Id


class JunkRequest(Body):
    """Close a lead as junk with one of the configured reasons."""

    # Optional in the schema: without a reason (or with an unknown one) the handler answers
    # 422 `junk_reason_required` listing the configured reasons, which a 400 could not.
    reason: str | None = Field(
        default=None, description="One of the configured junk reasons; 422 lists them"
    )


class ReassignRequest(Body):
    """Give a lead to another manager."""

    manager: NonBlank = Field(description="Manager login")


class ConvertRequest(Body):
    """Contact + company (+ deal) from a lead; every field is optional."""

    create_deal: Flag = True
    contact_id: Id | None = Field(default=None, description="Link to this contact")
    company_id: Id | None = Field(default=None, description="Link to this company")
    pipeline: str | None = None
    title: str | None = None
    amount: Amount | None = Field(default=None, description="Rounded to kopecks")


class Conversion(Shape):
    """The records a lead became, and which of them this call created."""

    lead_id: int
    contact_id: int
    company_id: int | None
    deal_id: int | None
    created: list[Literal["contact", "company", "deal"]] = Field(
        description="Empty on a repeat call (200); else 201"
    )
