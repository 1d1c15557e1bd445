"""The repository interface the domain and the service shell depend on (one module per aggregate).

Nothing here imports an adapter: the SQL classes implement these Protocols structurally.
"""

from crm_core.storage.ports.audit import AuditRepository
from crm_core.storage.ports.bot_cards import BotCard, BotCardRepository
from crm_core.storage.ports.bot_links import BotLinkRepository
from crm_core.storage.ports.calls import CallRepository
from crm_core.storage.ports.catalogue import CatalogueRepository
from crm_core.storage.ports.checkpoints import CheckpointRepository
from crm_core.storage.ports.closing import ClosingDocumentRepository
from crm_core.storage.ports.errors import (
    MigrationChanged,
    StorageAlreadyOpen,
    StorageRejected,
    StorageUnavailable,
)
from crm_core.storage.ports.form_submissions import FormSubmission, FormSubmissionRepository
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
from crm_core.storage.ports.settings import HandOverRepository, SettingsRepository, StoredSetting
from crm_core.storage.ports.sign_in import CredentialRepository, WebSessionRepository
from crm_core.storage.ports.staff import ManagerRepository, TokenRepository
from crm_core.storage.ports.team import TeamRepository
from crm_core.storage.ports.unit_of_work import Storage, UnitOfWork
from crm_core.storage.ports.webhooks import WebhookRepository

__all__ = [
    "AuditRepository",
    "BotCard",
    "BotCardRepository",
    "BotLinkRepository",
    "CallRepository",
    "CatalogueRepository",
    "CheckpointRepository",
    "ClosingDocumentRepository",
    "ConsentRepository",
    "CredentialRepository",
    "FormSubmission",
    "FormSubmissionRepository",
    "HandOverRepository",
    "IdentityRepository",
    "InboxRepository",
    "InvoiceRepository",
    "LeadRepository",
    "ManagerRepository",
    "MigrationChanged",
    "MoneyReportRepository",
    "OutboxRepository",
    "OutgoingMessageRepository",
    "PersonRepository",
    "ReportRepository",
    "SalesDocumentRepository",
    "SalesRepository",
    "SettingsRepository",
    "Storage",
    "StorageAlreadyOpen",
    "StorageRejected",
    "StorageUnavailable",
    "StoredSetting",
    "TeamRepository",
    "TokenRepository",
    "UnitOfWork",
    "WebSessionRepository",
    "WebhookRepository",
]
