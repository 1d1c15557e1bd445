"""Call assembly: the same events in any order, with repeats, give one and the same call."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_core.calls import (
    CallDirection,
    CallFact,
    CallOutcome,
    CallStage,
    assemble,
    call_text,
    missed_call_due,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def fact(key: str, stage: CallStage, seconds: int, **fields: object) -> CallFact:
    return CallFact(
        provider="mango",
        call_id="entry-1",
        event_key=key,
        stage=stage,
        at=T0 + timedelta(seconds=seconds),
        **fields,  # type: ignore[arg-type]
    )


ANSWERED_CALL = [
    fact(
        "call:1",
        CallStage.APPEARED,
        0,
        seq=1,
        direction=CallDirection.INBOUND,
        caller="74957770011",
        line="74951234567",
    ),
    fact("call:2", CallStage.ANSWERED, 12, seq=2, extension="101"),
    fact("call:3", CallStage.ENDED, 150, seq=3),
    fact(
        "summary",
        CallStage.SUMMARY,
        151,
        direction=CallDirection.INBOUND,
        caller="74957770011",
        line="74951234567",
        extension="101",
        outcome=CallOutcome.ANSWERED,
        talk_seconds=138,
    ),
]


def test_every_order_and_repeats_give_the_same_call() -> None:
    expected = assemble(ANSWERED_CALL)
    for order in itertools.permutations(ANSWERED_CALL):
        assert assemble([*order, order[0], order[-1]]) == expected
    assert expected.outcome is CallOutcome.ANSWERED and expected.finished
    assert (expected.started_at, expected.answered_at, expected.ended_at) == (
        T0,
        T0 + timedelta(seconds=12),
        T0 + timedelta(seconds=150),
    )
    assert (expected.talk_seconds, expected.duration_seconds) == (138, 150)
    assert (expected.extension, expected.customer_number) == ("101", "74957770011")


def test_the_summary_has_the_last_word_on_the_outcome() -> None:
    hung_up = [*ANSWERED_CALL[:3], replace(ANSWERED_CALL[3], outcome=CallOutcome.MISSED)]
    assert assemble(hung_up).outcome is CallOutcome.MISSED


def test_without_a_summary_the_outcome_follows_from_the_answer() -> None:
    assert assemble(ANSWERED_CALL[:3]).outcome is CallOutcome.ANSWERED
    missed = assemble([ANSWERED_CALL[0], ANSWERED_CALL[2]])
    assert missed.outcome is CallOutcome.MISSED and missed.talk_seconds is None
    assert missed.duration_seconds == 150


def test_a_provider_with_per_leg_hang_ups_ends_the_call_only_at_its_summary() -> None:
    assert not assemble(ANSWERED_CALL[:3], summary_final=True).finished
    assert assemble(ANSWERED_CALL, summary_final=True).finished
    assert assemble(ANSWERED_CALL[:3]).finished


def test_an_unfinished_call_has_no_outcome() -> None:
    ringing = assemble(ANSWERED_CALL[:1])
    assert not ringing.finished and ringing.outcome is None


def test_an_outbound_calls_customer_is_the_callee() -> None:
    out = assemble(
        [
            fact(
                "out",
                CallStage.ENDED,
                30,
                direction=CallDirection.OUTBOUND,
                caller="101",
                callee="79161234567",
                outcome=CallOutcome.BUSY,
            )
        ]
    )
    assert out.customer_number == "79161234567"
    assert call_text(out) == "Исходящий звонок, занято, на номер 79161234567"


def test_no_facts_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one fact"):
        assemble([])


def test_call_texts_tell_the_manager_what_happened() -> None:
    assert call_text(assemble(ANSWERED_CALL)) == (
        "Входящий звонок, разговор 2 мин 18 с, с номера 74957770011, линия 74951234567,"
        " добавочный 101"
    )
    missed = assemble([ANSWERED_CALL[0], ANSWERED_CALL[2]])
    assert call_text(missed, "Яндекс.Директ").startswith("Пропущенный звонок, с номера")
    assert "линия Яндекс.Директ" in call_text(missed, "Яндекс.Директ")


def test_a_call_back_is_due_minutes_after_the_call_ended() -> None:
    ended = T0 + timedelta(minutes=3)
    assert missed_call_due(ended, T0 + timedelta(hours=1), 15) == ended + timedelta(minutes=15)
    assert missed_call_due(None, T0, 15) == T0 + timedelta(minutes=15)


def test_facts_survive_their_json_form() -> None:
    for item in ANSWERED_CALL:
        assert CallFact.from_json(item.to_json()) == item


def test_the_summarys_own_times_win_over_when_events_arrived() -> None:
    # An Asterisk Cdr of a 2024 call; the hang-up event arrived (and was dated) much later.
    cdr_start, cdr_answer, cdr_end = (
        datetime(2024, 11, 25, 15, 20, tzinfo=UTC),
        datetime(2024, 11, 25, 15, 20, 9, tzinfo=UTC),
        datetime(2024, 11, 25, 15, 21, 40, tzinfo=UTC),
    )
    facts = [
        fact("hangup", CallStage.ENDED, 0, ended_at=T0),
        fact(
            "cdr",
            CallStage.SUMMARY,
            0,
            outcome=CallOutcome.ANSWERED,
            started_at=cdr_start,
            answered_at=cdr_answer,
            ended_at=cdr_end,
            talk_seconds=91,
        ),
    ]

    summary = assemble(facts)

    assert (summary.started_at, summary.answered_at, summary.ended_at) == (
        cdr_start,
        cdr_answer,
        cdr_end,
    )


def test_an_answered_outbound_call_reported_at_its_end_keeps_answer_and_talk() -> None:
    start = T0
    facts = [
        fact("out_start", CallStage.APPEARED, 0, direction=CallDirection.OUTBOUND),
        fact(
            "out_end",
            CallStage.ENDED,
            60,
            outcome=CallOutcome.ANSWERED,
            started_at=start,
            ended_at=start + timedelta(seconds=60),
            talk_seconds=47,
        ),
    ]

    summary = assemble(facts)

    assert summary.answered_at == start + timedelta(seconds=13)
    assert summary.talk_seconds == 47
