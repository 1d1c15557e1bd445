"""The operation table of the head's sales settings (managers; queues and more to follow)."""

from __future__ import annotations

from pydantic import BaseModel

from config.sales_documents import EXTENSIONS, JUNK_REASONS, LINES
from intake.http.contract import Operation, Reply, Request, path_text, query
from intake.http.schemas import settings
from intake.http.settings_paths import document_path

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


def document_operations(
    kind: str, noun: str, new: type[BaseModel], edit: type[BaseModel]
) -> tuple[Operation, ...]:
    """List, create, read, replace and delete of one kind of the sales setup."""
    base = document_path(kind)
    title = "".join(word.capitalize() for word in noun.split())
    key = path_text("key", f"The {noun}'s key")
    refused = "A setting breaks a rule (the field is named)"
    return (
        Operation(
            "GET",
            base,
            f"list{title}Settings",
            f"Every {noun} with its version, in order; heads only",
            {200: Reply(f"{title}s", settings.DocumentPage)},
            errors={403: HEADS_ONLY},
            tag="settings",
        ),
        Operation(
            "POST",
            base,
            f"create{title}",
            f"Add a {noun}; takes effect on every instance without a restart; heads only",
            {201: Reply(f"The {noun}", settings.StoredDocument)},
            errors={400: "Invalid body", 403: HEADS_ONLY, 409: "The key is taken", 422: refused},
            request=Request(new),
            tag="settings",
        ),
        Operation(
            "GET",
            f"{base}/{{key}}",
            f"get{title}Settings",
            f"One {noun} with its version; heads only",
            {200: Reply(f"The {noun}", settings.StoredDocument)},
            errors={403: HEADS_ONLY, 404: f"No such {noun}"},
            params=(key,),
            tag="settings",
        ),
        Operation(
            "PUT",
            f"{base}/{{key}}",
            f"update{title}",
            f"Replace a {noun} if still at `version` (else 409 «изменено другим"
            " пользователем»); heads only",
            {200: Reply(f"The {noun}", settings.StoredDocument)},
            errors={
                400: "Invalid body",
                403: HEADS_ONLY,
                404: f"No such {noun}",
                409: "Changed by someone else since `version` («изменено другим"
                " пользователем»), or a removed stage still holds deals (move them first)",
                422: refused,
            },
            params=(key,),
            request=Request(edit),
            tag="settings",
        ),
        Operation(
            "DELETE",
            f"{base}/{{key}}",
            f"delete{title}",
            f"Delete a {noun} nothing names any more; heads only",
            {200: Reply(f"The deleted {noun}", settings.DeletedDocument)},
            errors={
                400: "Invalid version",
                403: HEADS_ONLY,
                404: f"No such {noun}",
                409: "Still in use, or changed by someone else since `version`",
                422: refused,
            },
            params=(
                key,
                query("version", {"type": "integer", "minimum": 1}, "The version read"),
            ),
            tag="settings",
        ),
    )


MOVE_DEALS = Operation(
    "POST",
    "/api/v1/settings/pipelines/{key}/stages/{stage}/move-deals",
    "moveStageDeals",
    "Move every deal of a stage to another stage of the pipeline (open → open, lost → lost),"
    " each recorded in its history like a normal move, so the stage can be deleted; heads only",
    {200: Reply("The deals moved", settings.MovedDeals)},
    errors={
        400: "Invalid body",
        403: HEADS_ONLY,
        404: "No such pipeline or stage",
        422: "`to` is not a stage of the pipeline, or of another kind",
    },
    params=(path_text("key", "The pipeline's key"), path_text("stage", "The stage's key")),
    request=Request(settings.MoveDeals),
    tag="settings",
)

PREVIEW_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/settings/queues/preview",
        "previewRoute",
        "Who would get a new client's lead from a form or a channel right now, and why: a dry"
        " run of routing, nothing is written; exactly one of `form` or `channel`; heads only",
        {200: Reply("The queue, the manager and the reasons", settings.QueuePreview)},
        errors={
            400: "Neither or both of `form` and `channel`",
            403: HEADS_ONLY,
            404: "No such form",
            422: "Unknown channel",
        },
        params=(
            query("form", {"type": "string"}, "A form's key"),
            query("channel", {"type": "string"}, "webform, telegram, vk, email, call, avito"),
            query("source", {"type": "string"}, "With `channel`: a bot's, community's name"),
        ),
        tag="settings",
    ),
    Operation(
        "GET",
        "/api/v1/settings/queues/{key}/preview",
        "previewQueue",
        "Who in this queue would get a new client's lead right now, and why, with each"
        " member's state; nothing is written; heads only",
        {200: Reply("The manager and the reasons", settings.QueuePreview)},
        errors={403: HEADS_ONLY, 404: "No such queue"},
        params=(path_text("key", "The queue's key"),),
        tag="settings",
    ),
)


DOCUMENT_OPERATIONS: tuple[Operation, ...] = (
    *PREVIEW_OPERATIONS,
    *document_operations("queues", "queue", settings.NewQueue, settings.QueueEdit),
    *document_operations("pipelines", "pipeline", settings.NewPipeline, settings.PipelineEdit),
    MOVE_DEALS,
    *document_operations("forms", "form", settings.NewForm, settings.FormEdit),
    *document_operations(
        JUNK_REASONS, "junk reason", settings.NewJunkReason, settings.JunkReasonEdit
    ),
    *document_operations(LINES, "phone line", settings.NewLine, settings.LineEdit),
    *document_operations(EXTENSIONS, "extension", settings.NewExtension, settings.ExtensionEdit),
    Operation(
        "GET",
        "/api/v1/settings/forms/{key}/snippet",
        "getFormSnippet",
        "The form's ready snippet: an HTML form and the Tilda webhook URL; heads only",
        {200: Reply("The snippet", settings.FormSnippet)},
        errors={403: HEADS_ONLY, 404: "No such form"},
        params=(path_text("key", "The form's key"),),
        tag="settings",
    ),
)
