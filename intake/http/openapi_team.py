"""The operation table of the head's team panel."""

from __future__ import annotations

from intake.http.contract import Operation, Reply
from intake.http.schemas import team

TEAM_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/team",
        "teamPanel",
        "Each active manager's open leads, overdue tasks, time to take, open deals and duty;"
        " heads only",
        {200: Reply("The panel", team.TeamPanel)},
        errors={403: "Not a head of sales"},
        tag="reports",
    ),
)
