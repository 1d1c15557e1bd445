"""All SQL repositories over one session: the unit of work both dialects share."""

from __future__ import annotations

from crm_core.storage.audit import SqlAuditRepository
from crm_core.storage.bot_cards import SqlBotCardRepository
from crm_core.storage.bot_links import SqlBotLinkRepository
from crm_core.storage.calls import SqlCallRepository
from crm_core.storage.catalogue import SqlCatalogueRepository
from crm_core.storage.checkpoints import SqlCheckpointRepository
from crm_core.storage.closing import SqlClosingDocumentRepository
from crm_core.storage.consents import SqlConsentRepository
from crm_core.storage.form_submissions import SqlFormSubmissionRepository
from crm_core.storage.handover import SqlHandOverRepository
from crm_core.storage.identity import SqlIdentityRepository
from crm_core.storage.inbox import SqlInboxRepository
from crm_core.storage.invoices import SqlInvoiceRepository
from crm_core.storage.leads import SqlLeadRepository
from crm_core.storage.managers import SqlManagerRepository
from crm_core.storage.money_reports import SqlMoneyReports
from crm_core.storage.outbox import SqlOutboxRepository
from crm_core.storage.persons import SqlPersonRepository
from crm_core.storage.ports import (
    AuditRepository,
    BotCardRepository,
    BotLinkRepository,
    CallRepository,
    CatalogueRepository,
    CheckpointRepository,
    ClosingDocumentRepository,
    ConsentRepository,
    CredentialRepository,
    FormSubmissionRepository,
    HandOverRepository,
    IdentityRepository,
    InboxRepository,
    InvoiceRepository,
    LeadRepository,
    ManagerRepository,
    MoneyReportRepository,
    OutboxRepository,
    OutgoingMessageRepository,
    PersonRepository,
    ReportRepository,
    SalesDocumentRepository,
    SalesRepository,
    SettingsRepository,
    TeamRepository,
    TokenRepository,
    WebhookRepository,
    WebSessionRepository,
)
from crm_core.storage.replies import SqlOutgoingMessageRepository
from crm_core.storage.reports import SqlReports
from crm_core.storage.sales import SqlSalesRepository
from crm_core.storage.sales_documents import SqlSalesDocumentRepository
from crm_core.storage.session import SqlSession
from crm_core.storage.settings import SqlSettingsRepository
from crm_core.storage.sign_in import SqlCredentialRepository, SqlWebSessionRepository
from crm_core.storage.team import SqlTeam
from crm_core.storage.tokens import SqlTokenRepository
from crm_core.storage.webhooks import SqlWebhookRepository


class SqlUnitOfWork:
    """All repositories over one session (and so one transaction)."""

    def __init__(self, session: SqlSession) -> None:
        self.inbox: InboxRepository = SqlInboxRepository(session)
        self.leads: LeadRepository = SqlLeadRepository(session)
        self.managers: ManagerRepository = SqlManagerRepository(session)
        self.tokens: TokenRepository = SqlTokenRepository(session)
        self.consents: ConsentRepository = SqlConsentRepository(session)
        self.audit: AuditRepository = SqlAuditRepository(session)
        self.identity: IdentityRepository = SqlIdentityRepository(session)
        self.outbox: OutboxRepository = SqlOutboxRepository(session)
        self.sales: SalesRepository = SqlSalesRepository(session)
        self.reports: ReportRepository = SqlReports(session)
        self.money_reports: MoneyReportRepository = SqlMoneyReports(session)
        self.calls: CallRepository = SqlCallRepository(session)
        self.checkpoints: CheckpointRepository = SqlCheckpointRepository(session)
        self.credentials: CredentialRepository = SqlCredentialRepository(session)
        self.web_sessions: WebSessionRepository = SqlWebSessionRepository(session)
        self.team: TeamRepository = SqlTeam(session)
        self.replies: OutgoingMessageRepository = SqlOutgoingMessageRepository(session)
        self.bot_links: BotLinkRepository = SqlBotLinkRepository(session)
        self.settings: SettingsRepository = SqlSettingsRepository(session)
        self.handover: HandOverRepository = SqlHandOverRepository(session)
        self.bot_cards: BotCardRepository = SqlBotCardRepository(session)
        self.form_submissions: FormSubmissionRepository = SqlFormSubmissionRepository(session)
        self.catalogue: CatalogueRepository = SqlCatalogueRepository(session)
        self.sales_documents: SalesDocumentRepository = SqlSalesDocumentRepository(session)
        self.invoices: InvoiceRepository = SqlInvoiceRepository(session)
        self.closing: ClosingDocumentRepository = SqlClosingDocumentRepository(session)
        self.webhooks: WebhookRepository = SqlWebhookRepository(session)
        self.persons: PersonRepository = SqlPersonRepository(session)

    async def before_commit(self) -> None:
        """Write what the transaction recorded for later (webhook deliveries)."""
        await self.webhooks.flush()
