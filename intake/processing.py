"""The worker's batch handler: stored rows decoded and prepared before the transaction, then
handed to the inbound use cases by kind inside it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from channels.model import EventKind, InboundEvent
from crm_core.inbound import (
    CallReport,
    Handled,
    InboundSetup,
    PreparedLead,
    handle_call,
    handle_message,
    handle_request,
    prepare,
)
from crm_core.model import InboxItem
from crm_core.storage import UnitOfWork
from intake.inbound_decoding import call_report, submission
from intake.worker import Outcome

# A row ready for its use case, or why it could not be read.
Prepared = tuple[EventKind, PreparedLead | CallReport] | Exception


class InboundBatchHandler:
    """Decode, prepare, then requests, messages and calls through their use cases."""

    def __init__(self, setup: InboundSetup) -> None:
        self._setup = setup

    def prepare(self, items: Sequence[InboxItem]) -> list[Prepared]:
        """Decode and normalize each row; a row we cannot read becomes its exception."""
        return [self._prepare(item) for item in items]

    def _prepare(self, item: InboxItem) -> Prepared:
        try:
            event = InboundEvent.from_json(item.event)
            if event.kind is EventKind.CALL:
                return event.kind, call_report(item, event)
            return event.kind, prepare(submission(item, event), self._setup)
        except Exception as err:  # a row we cannot read must not block the others
            return err

    async def apply(
        self,
        uow: UnitOfWork,
        items: Sequence[InboxItem],
        prepared: Sequence[Prepared],
        now: datetime,
    ) -> list[Outcome]:
        """One outcome per row, in order: requests first, then messages, then calls."""
        outcomes: list[Outcome] = [p if isinstance(p, Exception) else NOT_YET for p in prepared]
        requests: list[tuple[int, PreparedLead]] = []
        messages: list[tuple[int, PreparedLead]] = []
        calls: list[tuple[int, CallReport]] = []
        for index, row in enumerate(prepared):
            if isinstance(row, Exception):
                continue
            kind, value = row
            if isinstance(value, CallReport):
                calls.append((index, value))
            elif kind is EventKind.MESSAGE:
                messages.append((index, value))
            else:
                requests.append((index, value))
        setup = self._setup
        if requests:
            done = await handle_request(uow, [r for _, r in requests], now, setup)
            _place(outcomes, [n for n, _ in requests], done)
        if messages:
            done = await handle_message(uow, [m for _, m in messages], now, setup)
            _place(outcomes, [n for n, _ in messages], done)
        if calls:
            done = await handle_call(uow, [c for _, c in calls], now, setup)
            _place(outcomes, [n for n, _ in calls], done)
        return outcomes


NOT_YET = Handled(lead_id=None, lead_created=False)


def _place(outcomes: list[Outcome], indexes: list[int], done: Sequence[Handled]) -> None:
    for index, handled in zip(indexes, done, strict=True):
        outcomes[index] = handled
