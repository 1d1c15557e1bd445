"""Inbound use cases: a stored request, message or call event becomes a lead, an activity
on an open lead or deal, or a call record, whatever channel it came through.

The service shell decodes its stored events into `Submission` / `CallReport`, prepares
submissions before the write transaction (`prepare`), then applies a batch in one
transaction with `handle_request`, `handle_message` and `handle_call`.
"""

from crm_core.inbound.acceptance import AcceptanceSweep, hand_over_overdue
from crm_core.inbound.call_end import CALLBACK_TITLE
from crm_core.inbound.call_rules import CallRules, LineInfo
from crm_core.inbound.calls import handle_call
from crm_core.inbound.messages import handle_message
from crm_core.inbound.model import CallReport, Handled, Sender, Submission
from crm_core.inbound.prepare import PreparedLead, prepare
from crm_core.inbound.requests import handle_request
from crm_core.inbound.setup import InboundSetup, Route, RouteResolver, SalesHooks

__all__ = [
    "CALLBACK_TITLE",
    "AcceptanceSweep",
    "CallReport",
    "CallRules",
    "Handled",
    "InboundSetup",
    "LineInfo",
    "PreparedLead",
    "Route",
    "RouteResolver",
    "SalesHooks",
    "Sender",
    "Submission",
    "hand_over_overdue",
    "handle_call",
    "handle_message",
    "handle_request",
    "prepare",
]
