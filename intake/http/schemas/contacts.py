"""Contacts and companies, their detail views and merges."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from intake.http.schemas.base import Body, Id, Shape
from intake.http.schemas.records import Work


class Identity(Shape):
    """One messenger account of a person."""

    kind: str = Field(description='"telegram_id", "telegram_username", "vk_id", "avito_id" …')
    value: str


class Contact(Shape):
    """A contact (a person) with every identity it is known by."""

    id: int
    name: str | None
    phones: list[str] = Field(description="E.164")
    emails: list[str]
    telegram_id: str | None
    telegram_username: str | None
    vk_id: str | None
    identities: list[Identity] = Field(
        description="Every messenger account; the three fields above show the first of a kind"
    )
    company_id: int | None
    company: str | None = Field(description="The company's name")
    owner_id: int | None
    merged_into_id: int | None


class PreviousCompany(Shape):
    """A company the contact worked at before a job change."""

    id: int | None = Field(description="The company record (null if it is gone)")
    name: str | None
    until: datetime = Field(description="When the contact left it")


class ContactDetail(Contact, Work):
    """A contact with its past companies, health, tasks and activities."""

    previous_companies: list[PreviousCompany] = Field(
        description="Companies the contact worked at before (a job change), the latest first"
    )


class Company(Shape):
    """A company with every identity it is known by."""

    id: int
    name: str
    inn: str | None
    phones: list[str]
    emails: list[str]
    website: str | None
    owner_id: int | None
    merged_into_id: int | None


class CompanyDetail(Company, Work):
    """A company with its health, tasks and activities."""


class MergeRequest(Body):
    """Merge `merged_id` into `survivor_id`, choosing per field which value survives."""

    survivor_id: Id
    merged_id: Id
    fields: dict[str, Literal["survivor", "merged"]] | None = Field(
        default=None, description="Per field, whose value survives (default: the survivor's)"
    )


class ContactMerged(Shape):
    """The surviving contact; keep merge_id to undo."""

    merge_id: int
    contact: Contact


class CompanyMerged(Shape):
    """The surviving company; keep merge_id to undo."""

    merge_id: int
    company: Company


class ContactRestored(Shape):
    """An undone contact merge: the merged contact as it was."""

    merge_id: int
    restored: Contact


class CompanyRestored(Shape):
    """An undone company merge: the merged company as it was."""

    merge_id: int
    restored: Company
