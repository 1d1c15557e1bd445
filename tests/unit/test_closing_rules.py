"""Pure parts of shipments and acts: which invoice lines each kind takes, numbers, statuses,
the won_requires_shipment rule, `[documents]` prefixes, the pipeline options in the config
and how the documents read on a deal's timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from config.documents_settings import documents_settings
from config.reader import ConfigError, Section
from config.sales_documents import pipeline_document
from config.settings import PipelineSettings, StageSettings, sales_from_tables
from crm_core.catalogue import ProductKind
from crm_core.closing_model import (
    TRANSITIONS,
    ClosingKind,
    ClosingStatus,
    closing_number,
    line_kind,
    positions_for,
)
from crm_core.model import AuditEntry, Role
from crm_core.money import Line, VatRate
from crm_core.pipelines import (
    DealState,
    Pipeline,
    Stage,
    StageKind,
    StageRuleViolation,
    plan_move,
)
from workplace.pages.deal_actions import rule_text
from workplace.pages.timeline import Names, audit_text

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
GOODS, WORK = 1, 2
KINDS = {GOODS: ProductKind.PRODUCT, WORK: ProductKind.SERVICE}
LINES = (
    Line("Кабель", Decimal(10), Decimal("400.00"), VatRate.TWENTY, product_id=GOODS),
    Line("Монтаж", Decimal(1), Decimal("1500.00"), VatRate.TWENTY, product_id=WORK),
    Line("Упаковка", Decimal(2), Decimal("50.00"), VatRate.TWENTY),
    Line("Доставка", Decimal(1), Decimal("500.00"), VatRate.TWENTY, delivery=True),
    # A product deleted from the catalogue since: a free line.
    Line("Старый товар", Decimal(1), Decimal("1.00"), VatRate.NONE, product_id=99),
)


def test_the_catalogue_kind_decides_and_free_lines_go_with_the_first_document() -> None:
    kinds = [line_kind(line, KINDS) for line in LINES]
    assert kinds == [ClosingKind.SHIPMENT, ClosingKind.ACT, None, ClosingKind.ACT, None]
    shipment = positions_for(ClosingKind.SHIPMENT, LINES, KINDS, frozenset())
    assert shipment == (1, 3, 5)
    assert positions_for(ClosingKind.ACT, LINES, KINDS, frozenset(shipment)) == (2, 4)
    # An act made first takes the free lines; the shipment then has the goods alone.
    act = positions_for(ClosingKind.ACT, LINES, KINDS, frozenset())
    assert act == (2, 3, 4, 5)
    assert positions_for(ClosingKind.SHIPMENT, LINES, KINDS, frozenset(act)) == (1,)
    everything = frozenset(range(1, 6))
    assert positions_for(ClosingKind.SHIPMENT, LINES, KINDS, everything) == ()


def test_numbers_and_statuses() -> None:
    assert closing_number("ТН-", 2026, 7) == "ТН-2026-0007"
    assert closing_number("АКТ-", 2026, 12345) == "АКТ-2026-12345"
    done = ClosingStatus.DONE
    assert (done.label(ClosingKind.SHIPMENT), done.label(ClosingKind.ACT)) == (
        "Отгружено",
        "Подписан",
    )
    assert ClosingStatus.CANCELLED.label(ClosingKind.ACT) == "Отменён"
    assert TRANSITIONS[ClosingStatus.DRAFT] == {ClosingStatus.DONE, ClosingStatus.CANCELLED}
    assert TRANSITIONS[ClosingStatus.DONE] == {ClosingStatus.CANCELLED}
    assert TRANSITIONS[ClosingStatus.CANCELLED] == frozenset()


def pipeline(**options: bool) -> Pipeline:
    stages = (Stage("a", "A"), Stage("won", "W", StageKind.WON), Stage("l", "L", StageKind.LOST))
    return Pipeline("p", "P", stages, **options)


def test_a_deal_is_won_only_once_paid_invoices_are_shipped_where_the_pipeline_says() -> None:
    unshipped = DealState(stage="a", unshipped_invoices=1)
    strict = pipeline(won_requires_shipment=True)
    with pytest.raises(StageRuleViolation) as err:
        plan_move(strict, unshipped, "won", actor_role=Role.HEAD, now=AT)
    assert (err.value.rule, err.value.field, err.value.status) == ("not_shipped", "stage", 422)
    assert rule_text(err.value, strict).startswith("В этой воронке сделка выиграна, когда")
    shipped = plan_move(strict, DealState(stage="a"), "won", actor_role=Role.HEAD, now=AT)
    assert shipped.target.key == "won"
    relaxed = plan_move(pipeline(), unshipped, "won", actor_role=Role.HEAD, now=AT)
    assert relaxed.target.key == "won"
    # Unpaid invoices are named first: paying comes before shipping.
    both = DealState(stage="a", unpaid_invoices=1, unshipped_invoices=1)
    with pytest.raises(StageRuleViolation) as err:
        plan_move(strict, both, "won", actor_role=Role.HEAD, now=AT)
    assert err.value.rule == "invoices_unpaid"
    # Losing a deal is never held back by shipping.
    lost = plan_move(strict, unshipped, "l", actor_role=Role.HEAD, reason="Дорого", now=AT)
    assert lost.target.key == "l"


def test_prefixes_of_shipments_and_acts() -> None:
    plain = documents_settings(Section("t.toml", "documents", {}))
    assert (plain.shipment_prefix, plain.act_prefix) == ("ТН-", "АКТ-")
    set_ = documents_settings(
        Section("t.toml", "documents", {"shipment_prefix": "TN-", "act_prefix": "A-"})
    )
    assert (set_.shipment_prefix, set_.act_prefix) == ("TN-", "A-")
    with pytest.raises(ConfigError, match="act_prefix"):
        documents_settings(Section("t.toml", "documents", {"act_prefix": "А КТ"}))


def pipeline_table(**options: object) -> dict[str, object]:
    return {
        "key": "p",
        "name": "P",
        "stages": [
            {"key": "a", "name": "A", "on_invoice": True},
            {"key": "b", "name": "B", "on_payment": True},
            {"key": "won", "name": "W", "kind": "won"},
            {"key": "lost", "name": "L", "kind": "lost"},
        ],
        **options,
    }


def parsed(table: dict[str, object]) -> PipelineSettings:
    tables = {"managers": [], "queues": [], "pipelines": [table], "forms": []}
    [one] = sales_from_tables(tables, "t.toml").pipelines
    return one


def test_the_shipment_options_round_trip_through_the_pipeline_document() -> None:
    options = {"won_requires_shipment": True, "ship_before_payment": True}
    configured = parsed(pipeline_table(**options))
    assert (configured.won_requires_shipment, configured.ship_before_payment) == (True, True)
    document = pipeline_document(configured)
    assert {k: document[k] for k in options} == options
    assert parsed(document) == configured
    plain = pipeline_document(parsed(pipeline_table()))
    assert "won_requires_shipment" not in plain and "ship_before_payment" not in plain
    assert isinstance(configured.stages[0], StageSettings) and configured.stages[0].on_invoice
    with pytest.raises(ConfigError, match="won_requires_shipment"):
        parsed(pipeline_table(won_requires_shipment="yes"))


def test_shipments_and_acts_on_the_deal_timeline() -> None:
    names = Names({}, {}, {}, {})
    made = {"number": "ТН-2026-0001", "invoice_number": "СЧ-2026-0003"}
    entries = [
        ("closing_created", {**made, "kind": "shipment"}),
        ("closing_created", {"number": "АКТ-2026-0001", "invoice_number": "СЧ-2026-0003",
                             "kind": "act"}),
        ("closing_status", {"number": "ТН-2026-0001", "kind": "shipment", "status": "done"}),
        ("closing_status", {"number": "АКТ-2026-0001", "kind": "act", "status": "done"}),
        ("closing_status", {"number": "АКТ-2026-0001", "kind": "act", "status": "cancelled"}),
    ]  # fmt: skip
    texts = [audit_text(AuditEntry("head", "deal", 1, a, AT, after=x), names) for a, x in entries]
    assert texts == [
        "Создана товарная накладная ТН-2026-0001 по счёту СЧ-2026-0003",
        "Создан акт АКТ-2026-0001 по счёту СЧ-2026-0003",
        "Накладная ТН-2026-0001: Отгружено",
        "Акт АКТ-2026-0001: Подписан",
        "Акт АКТ-2026-0001: Отменён",
    ]
