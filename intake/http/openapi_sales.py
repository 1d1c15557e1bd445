"""The operation table of the sales process (lead lifecycle, deals, tasks, calls, reports, events)
and of the messaging platforms' webhooks."""

from __future__ import annotations

from crm_core.calls import CallDirection, CallOutcome
from crm_core.sales import DealStatus
from intake.http.contract import (
    JSON,
    TEXT,
    Operation,
    Param,
    Reply,
    Request,
    id_schema,
    limit,
    path_id,
    path_text,
    query,
)
from intake.http.schemas import calls, deals, intake, leads, money_reports, records, reports
from intake.http.schemas.base import enum_schema

# What a sales command may answer besides success: a rule names itself in `error`.
RULES = {
    400: "Malformed body or path; the error names the field",
    403: "The rule needs another role (e.g. a head)",
    404: "No such record visible to the caller",
    409: "A rule refused the move; the error names the rule and what is needed",
    422: "A value is not allowed (e.g. an unknown junk reason)",
}
READ = {400: "Invalid id", 404: "No such record visible to the caller"}
PERIOD = (
    query("from", description="ISO date or date-time, inclusive (default: 30 days ago)"),
    query("to", description="ISO date or date-time, exclusive (default: now)"),
)
PERIOD_ERRORS = {
    400: "Invalid period",
    422: "Unknown pipeline or manager, or the period is empty",
}
REPORT_MANAGER = query(
    "manager", description="A head's report on one manager (login); ignored for a manager"
)


def _lead_command(
    verb: str, summary: str, operation_id: str, request: Request | None = None
) -> Operation:
    return Operation(
        "POST",
        f"/api/v1/leads/{{lead_id}}/{verb}",
        operation_id,
        summary,
        {200: Reply("The lead after the command", leads.Lead)},
        errors=RULES,
        params=(path_id("lead_id"),),
        request=request,
        tag="leads",
    )


def _lost(verb: str, summary: str, operation_id: str) -> Operation:
    return Operation(
        "POST",
        f"/api/v1/deals/{{deal_id}}/lost/{verb}",
        operation_id,
        summary,
        {200: Reply("The deal after the decision", deals.Deal)},
        errors=RULES,
        params=(path_id("deal_id"),),
        tag="deals",
    )


def _leads() -> tuple[Operation, ...]:
    return (
        _lead_command("take", "Take the lead into work (new → in_work)", "takeLead"),
        _lead_command(
            "junk",
            "Close the lead as junk with a configured reason",
            "junkLead",
            Request(leads.JunkRequest),
        ),
        _lead_command(
            "reassign",
            "Give the lead to another manager",
            "reassignLead",
            Request(leads.ReassignRequest),
        ),
        Operation(
            "POST",
            "/api/v1/leads/{lead_id}/convert",
            "convertLead",
            "Contact + company (+ deal) from the lead, atomically and once",
            {
                200: Reply("Already converted: nothing new created", leads.Conversion),
                201: Reply("Converted", leads.Conversion),
            },
            errors=RULES,
            params=(path_id("lead_id"),),
            request=Request(leads.ConvertRequest, required=False),
            tag="leads",
        ),
        Operation(
            "GET",
            "/api/v1/leads/{lead_id}/assignments",
            "leadAssignments",
            "Every assignment decision with its reason",
            {200: Reply("The decisions, oldest first", leads.AssignmentLog)},
            errors=READ,
            params=(path_id("lead_id"),),
            tag="leads",
        ),
    )


def _deals() -> tuple[Operation, ...]:
    deal = path_id("deal_id")
    return (
        Operation(
            "GET",
            "/api/v1/deals",
            "listDeals",
            "Deals visible to the caller, newest first",
            {200: Reply("Deals", deals.DealPage)},
            errors={400: "Invalid query parameter"},
            params=(
                query("pipeline", description="Pipeline key"),
                query("status", enum_schema(DealStatus)),
                query("before_id", id_schema(), "Deals older than this id"),
                limit(),
            ),
            tag="deals",
        ),
        Operation(
            "GET",
            "/api/v1/deals/{deal_id}",
            "getDeal",
            "A deal with stage history, tasks, activities, health",
            {200: Reply("The deal", deals.DealDetail)},
            errors=READ,
            params=(deal,),
            tag="deals",
        ),
        Operation(
            "POST",
            "/api/v1/deals/{deal_id}/stage",
            "moveDeal",
            "Move the deal to a stage under the pipeline's rules",
            {200: Reply("Moved, or a lost request awaiting approval", deals.StageMoved)},
            errors=RULES,
            params=(deal,),
            request=Request(deals.StageMoveRequest),
            tag="deals",
        ),
        _lost("approve", "A head approves a lost request", "approveLost"),
        _lost("reject", "A head rejects a lost request", "rejectLost"),
        Operation(
            "POST",
            "/api/v1/tasks",
            "createTask",
            "Plan a task on a lead, contact, company or deal",
            {201: Reply("Planned", records.Task)},
            errors=RULES,
            request=Request(records.NewTaskRequest),
            tag="tasks",
        ),
        Operation(
            "POST",
            "/api/v1/tasks/{task_id}/done",
            "completeTask",
            "Mark a task done (or not done)",
            {200: Reply("The task", records.Task)},
            errors=RULES,
            params=(path_id("task_id"),),
            request=Request(records.TaskDoneRequest, required=False),
            tag="tasks",
        ),
        Operation(
            "POST",
            "/api/v1/activities",
            "logActivity",
            "Log a call, e-mail, message or note",
            {201: Reply("Logged", records.ActivityCreated)},
            errors=RULES,
            request=Request(records.NewActivityRequest),
            tag="tasks",
        ),
    )


def _calls() -> tuple[Operation, ...]:
    return (
        Operation(
            "GET",
            "/api/v1/calls",
            "listCalls",
            "The call log: calls the caller took part in (a head: all), newest first",
            {200: Reply("Calls", calls.CallPage)},
            errors={400: "Invalid query parameter", 422: "Unknown outcome or direction"},
            params=(
                query("outcome", enum_schema(CallOutcome)),
                query("direction", enum_schema(CallDirection)),
                query("before_id", id_schema(), "Calls older than this id"),
                limit(),
            ),
            tag="calls",
        ),
        Operation(
            "GET",
            "/api/v1/calls/{call_id}",
            "getCall",
            "A call with the provider events it was assembled from",
            {200: Reply("The call", calls.CallDetail)},
            errors=READ,
            params=(path_id("call_id"),),
            tag="calls",
        ),
    )


def _reports() -> tuple[Operation, ...]:
    return (
        Operation(
            "GET",
            "/api/v1/reports/funnel",
            "funnelReport",
            "Funnel of one pipeline over a period: reached and current per stage",
            {200: Reply("The funnel", reports.FunnelReport)},
            errors=PERIOD_ERRORS,
            params=(
                query("pipeline", description="Default: the first pipeline"),
                *PERIOD,
                REPORT_MANAGER,
            ),
            tag="reports",
        ),
        Operation(
            "GET",
            "/api/v1/reports/lead-quality",
            "leadQualityReport",
            "Lead quality per channel and form: qualified and junk shares, time to take",
            {200: Reply("The report", reports.LeadQualityReport)},
            errors=PERIOD_ERRORS,
            params=(*PERIOD, REPORT_MANAGER),
            tag="reports",
        ),
        *_money_reports(),
        Operation(
            "GET",
            "/api/v1/events",
            "events",
            "The caller's notifications as Server-Sent Events (a bearer token, or the"
            " workplace's session cookie)",
            {200: Reply("The stream", {"type": "string"}, "text/event-stream")},
            params=(
                query("access_token", description="The bearer token, for EventSource"),
                Param("Last-Event-ID", "header", {"type": "string"}, "Replay after this id"),
            ),
            tag="notifications",
        ),
    )


def _money_reports() -> tuple[Operation, ...]:
    company_period = (
        query(
            "from",
            description="ISO date or date-time, inclusive (default: 30 days ago);"
            " a date is midnight in [documents] timezone",
        ),
        query("to", description="ISO date or date-time, exclusive (default: now)"),
    )
    return (
        Operation(
            "GET",
            "/api/v1/reports/revenue",
            "revenueReport",
            "Money received (matched payments dated in the period) by period and deal owner",
            {200: Reply("The report", money_reports.RevenueReport)},
            errors={400: "Invalid period or group", 422: PERIOD_ERRORS[422]},
            params=(
                *company_period,
                query(
                    "group",
                    {"type": "string", "enum": ["day", "week", "month"]},
                    "Default: month",
                ),
                REPORT_MANAGER,
            ),
            tag="reports",
        ),
        Operation(
            "GET",
            "/api/v1/reports/receivables",
            "receivablesReport",
            "Issued invoices not fully paid on a day, by days overdue and deal owner",
            {200: Reply("The report", money_reports.ReceivablesReport)},
            errors={400: "Invalid as_of or limit", 422: "Unknown manager"},
            params=(
                query("as_of", description="ISO date (default: today in [documents] timezone)"),
                limit(100, 20),
                REPORT_MANAGER,
            ),
            tag="reports",
        ),
        Operation(
            "GET",
            "/api/v1/reports/documents-conversion",
            "documentsConversionReport",
            "Quotes created → invoiced, invoices issued → paid, average days to payment",
            {200: Reply("The report", money_reports.DocumentsConversion)},
            errors=PERIOD_ERRORS,
            params=(*company_period, REPORT_MANAGER),
            tag="reports",
        ),
    )


SALES_OPERATIONS: tuple[Operation, ...] = (*_leads(), *_deals(), *_calls(), *_reports())

# Authenticated by the platforms' own secrets, not bearer tokens (channels/*/spec name them).
TELEGRAM_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/hooks/telegram/{bot_name}",
        "telegramWebhook",
        "Telegram Bot API update (X-Telegram-Bot-Api-Secret-Token checked)",
        {200: Reply("Stored durably; may carry the auto-reply", intake.TelegramAnswer)},
        errors={
            400: "Malformed body; the error names the field",
            401: "Wrong secret token",
            404: "Unknown bot",
        },
        params=(
            path_text("bot_name"),
            Param("X-Telegram-Bot-Api-Secret-Token", "header", {"type": "string"}),
        ),
        request=Request({"type": "object", "description": "A Telegram Bot API Update"}),
        auth=False,
        tag="webhooks",
    ),
)
# The team's own bot is not a clients' channel: documented beside the sales operations.
MANAGER_BOT_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/hooks/manager-bot",
        "managerBotWebhook",
        "The managers' bot: Telegram Bot API update (X-Telegram-Bot-Api-Secret-Token checked)",
        {
            200: Reply(
                "Handled (the bot answers through the Bot API, not in this reply)",
                {"type": "object", "properties": {}, "additionalProperties": False},
            )
        },
        errors={
            400: "Malformed body; the error names the field",
            401: "Wrong secret token",
            404: "The managers' bot is not in webhook mode",
        },
        params=(Param("X-Telegram-Bot-Api-Secret-Token", "header", {"type": "string"}),),
        request=Request({"type": "object", "description": "A Telegram Bot API Update"}),
        auth=False,
        tag="webhooks",
    ),
)
VK_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/hooks/vk/{group_id}",
        "vkCallback",
        "VK Callback API event (confirmation, message_new, lead_forms_new)",
        {200: Reply("Stored durably: `ok`, or the confirmation code", {"type": "string"}, TEXT)},
        errors={
            400: "Malformed body; the error names the field",
            403: "Wrong secret",
            404: "Unknown community",
        },
        params=(path_id("group_id"),),
        request=Request({"type": "object", "description": "A VK Callback API event"}, (JSON,)),
        auth=False,
        tag="webhooks",
    ),
)
