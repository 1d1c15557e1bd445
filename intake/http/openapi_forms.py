"""The operation table of the website form route (channels/webform/spec names it)."""

from __future__ import annotations

from intake.http.contract import FORM, JSON, MULTIPART, Operation, Param, Reply, Request, path_text
from intake.http.schemas import intake

FORM_200 = intake.FormAnswer


def _form() -> Operation:
    return Operation(
        "POST",
        "/api/v1/forms/{form_key}",
        "submitForm",
        "Submit a website form; stored durably before the answer",
        {
            200: Reply("A retry of a stored submission, a test ping or a spam trap", FORM_200),
            202: Reply("Stored; the lead is being created", intake.IntakeAccepted),
            303: Reply("Stored; redirect to the form's thank-you page (Location)"),
        },
        errors={
            400: "Malformed body, a NUL or invalid Unicode, too many or too long fields, or"
            " (with SmartCaptcha) no smart-token; the error names the field",
            401: "Missing or wrong API key",
            403: "SmartCaptcha did not confirm the smart-token field",
            404: "Unknown form",
            408: "The body did not arrive within [http] body_timeout_seconds",
            409: "The idempotency key (tranid, Idempotency-Key) was used with other fields",
            413: "",
            415: "",
            422: "No way to reach the person",
            429: "Too many submissions of this form from this address; see Retry-After",
        },
        params=(
            path_text("form_key", "The form's key from the configuration"),
            Param("Idempotency-Key", "header", {"type": "string"}),
            Param("X-Api-Key", "header", {"type": "string"}, "The form's secret, if it has one"),
        ),
        request=Request(intake.FormSubmission, (JSON, FORM, MULTIPART)),
        auth=False,
        tag="intake",
    )


FORM_OPERATIONS: tuple[Operation, ...] = (_form(),)
