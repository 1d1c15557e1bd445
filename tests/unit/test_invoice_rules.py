"""Pure parts of invoices and payments: the seller's requisites in `[documents.seller]`,
the 1C bank statement parser, invoice numbers in a purpose of payment, paid statuses,
pipeline flags and how invoice changes read on a deal's timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from config import ConfigError
from config.documents_settings import documents_settings
from config.reader import Section
from crm_core.bank_statement import parse_statement
from crm_core.errors import DomainError
from crm_core.invoices_model import InvoiceStatus, invoice_number, paid_status
from crm_core.model import AuditEntry, Role
from crm_core.payments import invoice_numbers
from crm_core.pipelines import (
    DealState,
    Pipeline,
    Stage,
    StageKind,
    StageRuleViolation,
    plan_move,
)
from tests.integration.test_invoices import STATEMENT
from workplace.pages.deal_actions import rule_text
from workplace.pages.timeline import Names, audit_text

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SELLER = {
    "name": 'ООО "Ромашка"',
    "inn": "7701234567",
    "kpp": "770101001",
    "bik": "044525593",
    "correspondent_account": "30101810200000000593",
    "account": "40702810900000012345",
}


def documents(data: dict[str, object]) -> Section:
    return Section("test.toml", "documents", data)


def test_invoice_settings_defaults_and_the_seller() -> None:
    plain = documents_settings(documents({}))
    assert (plain.invoice_prefix, plain.invoice_due_days, plain.seller_party) == ("СЧ-", 5, None)
    configured = documents_settings(
        documents({"invoice_prefix": "INV-", "invoice_due_days": 10, "seller": SELLER})
    )
    assert (configured.invoice_prefix, configured.invoice_due_days) == ("INV-", 10)
    assert configured.seller_party is not None
    assert (configured.seller.name, configured.seller.account) == (
        'ООО "Ромашка"',
        "40702810900000012345",
    )
    assert configured.seller.director is None


@pytest.mark.parametrize(
    ("seller", "key", "problem"),
    [
        ({**SELLER, "inn": "77012345"}, "documents.seller.inn", "10 or 12 digits"),
        ({**SELLER, "kpp": "77010100"}, "documents.seller.kpp", "9 digits"),
        ({**SELLER, "bik": "04452559A"}, "documents.seller.bik", "9 digits"),
        ({**SELLER, "account": "4070281090000001234"}, "documents.seller.account", "20 digits"),
        (
            {**SELLER, "correspondent_account": "301018102000000005931"},
            "documents.seller.correspondent_account",
            "20 digits",
        ),
        ({**SELLER, "name": ""}, "documents.seller.name", "required"),
        ({**SELLER, "iban": "x"}, "documents.seller.iban", "unknown key"),
        ({**SELLER, "bank": 5}, "documents.seller.bank", "string"),
    ],
)
def test_seller_requisites_name_the_wrong_key(
    seller: dict[str, object], key: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as err:
        documents_settings(documents({"seller": seller}))
    assert err.value.field == key
    assert problem in str(err.value)


def test_the_statement_fixture_parses_as_the_bank_wrote_it() -> None:
    parsed = parse_statement(STATEMENT.read_bytes())
    assert [(d.number, d.amount, d.payer_inn) for d in parsed] == [
        ("101", Decimal("2887.64"), "7707083893"),
        ("57", Decimal("5000.00"), "5408123456"),
        ("58", Decimal("7000.00"), "5408123456"),
        ("9", Decimal("1500.00"), "771400000001"),
        ("101", Decimal("2887.64"), "7707083893"),
        ("312", Decimal("4200.00"), "7701234567"),
        ("640", Decimal("6500.00"), "7812014560"),
    ]
    first = parsed[0]
    assert (first.kind, first.date, first.payer_name, first.recipient_account) == (
        "Платежное поручение",
        date(2026, 12, 8),
        'ООО "Электромонтаж"',
        "40702810900000012345",
    )
    assert first.purpose is not None and first.purpose.startswith("Оплата по счету № СЧ-2026-0001")
    assert first.identity_key == parsed[4].identity_key != parsed[1].identity_key


def test_the_payer_from_its_inn_line_and_other_encodings() -> None:
    text = (
        "1CClientBankExchange\nКодировка=DOS\nСекцияДокумент=Банковский ордер\nНомер=5\n"
        "Дата=01.02.2026\nСумма=10\nПлательщик=ИНН 7707083893 ООО Север\n"
        "НазначениеПлатежа=Оплата\nКонецДокумента\nКонецФайла\n"
    )
    [dos] = parse_statement(text.encode("cp866"))
    assert (dos.kind, dos.amount, dos.payer_name, dos.payer_inn) == (
        "Банковский ордер",
        Decimal("10.00"),
        "ООО Север",
        None,
    )
    utf8 = text.replace("Кодировка=DOS\n", "")
    assert parse_statement(b"\xef\xbb\xbf" + utf8.encode())[0].payer_name == "ООО Север"


def one_document(**fields: str) -> bytes:
    lines = [f"{key}={value}" for key, value in fields.items()]
    text = "\n".join(["1CClientBankExchange", "СекцияДокумент=П", *lines, "КонецДокумента"])
    return text.encode("cp1251")


GOOD = {"Номер": "1", "Дата": "01.02.2026", "Сумма": "1"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"Hello", "body"),
        (one_document(Дата="01.02.2026", Сумма="1"), "documents.0.Номер"),
        (one_document(**{**GOOD, "Дата": "2026-02-01"}), "documents.0.Дата"),
        (one_document(**{**GOOD, "Сумма": "1,5.0"}), "documents.0.Сумма"),
        (one_document(**{**GOOD, "Сумма": "0"}), "documents.0.Сумма"),
        (one_document(**{**GOOD, "Сумма": "0.001"}), "documents.0.Сумма"),
    ],
)
def test_a_broken_statement_names_the_document_and_key(data: bytes, field: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_statement(data)
    assert err.value.field == field


def test_invoice_numbers_in_a_purpose_of_payment() -> None:
    assert invoice_number("СЧ-", 2026, 7) == "СЧ-2026-0007"
    purpose = "Оплата по сч-2026-7 и счету 2026-0012 от 07.12.2026, договор 2026-12-01"
    assert list(invoice_numbers(purpose, "СЧ-")) == [(2026, 7), (2026, 12)]
    assert list(invoice_numbers("Оплата по договору № 14/26 от 01.12.2026", "СЧ-")) == []


def test_paid_status_follows_the_money() -> None:
    total = Decimal("100.00")
    assert paid_status(total, Decimal(0)) is InvoiceStatus.ISSUED
    assert paid_status(total, Decimal("99.99")) is InvoiceStatus.PARTIALLY_PAID
    assert paid_status(total, total) is InvoiceStatus.PAID
    assert paid_status(total, Decimal("100.01")) is InvoiceStatus.PAID
    assert [s.label for s in InvoiceStatus] == [
        "Черновик",
        "Выставлен",
        "Оплачен частично",
        "Оплачен",
        "Отклонён",
        "Отменён",
    ]


def test_pipeline_flags_mark_one_open_stage_each() -> None:
    stages = (Stage("a", "A", on_invoice=True), Stage("won", "W", StageKind.WON))
    lost = Stage("lost", "L", StageKind.LOST)
    pipeline = Pipeline("p", "P", (*stages, lost))
    assert pipeline.flagged_stage("on_invoice") == stages[0]
    assert pipeline.flagged_stage("on_payment") is None
    with pytest.raises(ValueError, match="only one stage may be marked on_invoice"):
        Pipeline("p", "P", (stages[0], Stage("b", "B", on_invoice=True), stages[1], lost))
    with pytest.raises(ValueError, match="on_payment marks an open stage"):
        Pipeline("p", "P", (stages[0], Stage("won", "W", StageKind.WON, on_payment=True), lost))
    state = DealState(stage="a", unpaid_invoices=1)
    with pytest.raises(StageRuleViolation) as err:
        plan_move(pipeline, state, "won", actor_role=Role.HEAD, now=AT)
    assert (err.value.rule, err.value.field, err.value.status) == ("invoices_unpaid", "stage", 422)
    assert rule_text(err.value, pipeline).startswith("Сделка выиграна, когда оплачены все")
    moved = plan_move(pipeline, DealState(stage="a"), "won", actor_role=Role.HEAD, now=AT)
    assert moved.target.key == "won"


def test_invoice_changes_on_the_deal_timeline() -> None:
    names = Names({}, {}, {}, {})
    entries = [
        ("invoice_created", {"number": "СЧ-2026-0001", "total": "150000.5"}),
        ("invoice_status", {"number": "СЧ-2026-0001", "status": "partially_paid"}),
        ("payment_received", {"number": "СЧ-2026-0001", "amount": "500", "overpaid_by": "0.00"}),
        ("payment_received", {"number": "СЧ-2026-0001", "amount": "900", "overpaid_by": "400"}),
    ]
    texts = [audit_text(AuditEntry("head", "deal", 1, a, AT, after=x), names) for a, x in entries]
    assert texts == [
        "Создан счёт СЧ-2026-0001 на 150\u202f000,50 ₽",
        "Счёт СЧ-2026-0001: Оплачен частично",
        "Оплата 500,00 ₽ по счёту СЧ-2026-0001",
        "Оплата 900,00 ₽ по счёту СЧ-2026-0001 (переплата 400,00 ₽)",
    ]
