"""The operation table of the head's sales settings (managers; queues and more to follow)."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, path_text, query
from intake.http.schemas import settings

HEADS_ONLY = "Not a head of sales"
LOGIN = path_text("login", "The manager's login")

SETTINGS_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/settings/managers",
        "listManagerSettings",
        "Every manager's settings with its version; heads only",
        {200: Reply("Managers", settings.ManagerPage)},
        errors={403: HEADS_ONLY},
        tag="settings",
    ),
    Operation(
        "POST",
        "/api/v1/settings/managers",
        "createManager",
        "Add a manager; takes effect on every instance without a restart; heads only",
        {201: Reply("The manager", settings.StoredManager)},
        errors={
            400: "Invalid body",
            403: HEADS_ONLY,
            409: "The login is taken",
            422: "A setting breaks a rule (the field is named)",
        },
        request=Request(settings.NewManager),
        tag="settings",
    ),
    Operation(
        "GET",
        "/api/v1/settings/managers/{login}",
        "getManagerSettings",
        "One manager's settings with its version; heads only",
        {200: Reply("The manager", settings.StoredManager)},
        errors={403: HEADS_ONLY, 404: "No such manager"},
        params=(LOGIN,),
        tag="settings",
    ),
    Operation(
        "PUT",
        "/api/v1/settings/managers/{login}",
        "updateManager",
        "Replace a manager's settings if still at `version` (else 409 «изменено другим"
        " пользователем»); heads only",
        {200: Reply("The manager", settings.StoredManager)},
        errors={
            400: "Invalid body",
            403: HEADS_ONLY,
            404: "No such manager",
            409: "Changed by someone else since `version`",
            422: "A setting breaks a rule (the field is named)",
        },
        params=(LOGIN,),
        request=Request(settings.ManagerEdit),
        tag="settings",
    ),
    Operation(
        "DELETE",
        "/api/v1/settings/managers/{login}",
        "deactivateManager",
        "Deactivate a manager: their open leads and deals go to `hand_over_to`, or are"
        " redistributed by the queues' rules; heads only",
        {200: Reply("The manager and where their work went", settings.DeactivatedManager)},
        errors={
            403: HEADS_ONLY,
            404: "No such manager (or no `hand_over_to` manager)",
            409: "Changed by someone else meanwhile",
            422: "Cannot be deactivated (themselves, or nobody left to take over)",
        },
        params=(
            LOGIN,
            query("hand_over_to", {"type": "string"}, "Login of who takes the open work over"),
        ),
        tag="settings",
    ),
)
