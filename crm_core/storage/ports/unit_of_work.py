"""The unit of work over every repository, and the database behind it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from crm_core.storage.ports.audit import AuditRepository
from crm_core.storage.ports.bot_cards import BotCardRepository
from crm_core.storage.ports.bot_links import BotLinkRepository
from crm_core.storage.ports.calls import CallRepository
from crm_core.storage.ports.catalogue import CatalogueRepository
from crm_core.storage.ports.checkpoints import CheckpointRepository
from crm_core.storage.ports.closing import ClosingDocumentRepository
from crm_core.storage.ports.form_submissions import FormSubmissionRepository
from crm_core.storage.ports.identity import IdentityRepository
from crm_core.storage.ports.inbox import InboxRepository
from crm_core.storage.ports.invoices import InvoiceRepository
from crm_core.storage.ports.leads import ConsentRepository, LeadRepository
from crm_core.storage.ports.money_reports import MoneyReportRepository
from crm_core.storage.ports.outbox import OutboxRepository
from crm_core.storage.ports.persons import PersonRepository
from crm_core.storage.ports.replies import OutgoingMessageRepository
from crm_core.storage.ports.reports import ReportRepository
from crm_core.storage.ports.sales import SalesRepository
from crm_core.storage.ports.sales_documents import SalesDocumentRepository
from crm_core.storage.ports.settings import HandOverRepository, SettingsRepository
from crm_core.storage.ports.sign_in import CredentialRepository, WebSessionRepository
from crm_core.storage.ports.staff import ManagerRepository, TokenRepository
from crm_core.storage.ports.team import TeamRepository
from crm_core.storage.ports.webhooks import WebhookRepository


class UnitOfWork(Protocol):
    """Repositories sharing one transaction."""

    inbox: InboxRepository
    leads: LeadRepository
    managers: ManagerRepository
    tokens: TokenRepository
    consents: ConsentRepository
    audit: AuditRepository
    identity: IdentityRepository
    outbox: OutboxRepository
    sales: SalesRepository
    reports: ReportRepository
    money_reports: MoneyReportRepository
    calls: CallRepository
    checkpoints: CheckpointRepository
    credentials: CredentialRepository
    web_sessions: WebSessionRepository
    team: TeamRepository
    replies: OutgoingMessageRepository
    bot_links: BotLinkRepository
    settings: SettingsRepository
    handover: HandOverRepository
    bot_cards: BotCardRepository
    form_submissions: FormSubmissionRepository
    catalogue: CatalogueRepository
    sales_documents: SalesDocumentRepository
    invoices: InvoiceRepository
    closing: ClosingDocumentRepository
    webhooks: WebhookRepository
    persons: PersonRepository


class Storage(ABC):
    """A database: transactions, reads, migrations and health."""

    dialect: str

    @abstractmethod
    async def open(self) -> None:
        """Connect (the constructor never does I/O)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction, committed when the block exits cleanly, else rolled back."""

    @abstractmethod
    def reader(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Repositories for reading outside a write transaction."""

    @abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers."""

    @abstractmethod
    async def backup(self, destination: Path) -> Path | None:
        """Copy the database, as committed at one moment, into a new SQLite file at
        `destination`; None when this database is not copied this way (PostgreSQL: pg_dump)."""
