"""The operation table of the cloud-PBX webhooks (each authenticated by its own signature)."""

from __future__ import annotations

from channels.telephony.generic.adapter import body_schema
from channels.telephony.generic.const import SIGNATURE_HEADER, TIMESTAMP_HEADER
from intake.http.contract import FORM, TEXT, Operation, Param, Reply, Request, path_text
from intake.http.schemas import intake

TEXT_BODY = {"type": "string"}
DENIED = {
    400: "Malformed body or a missing field; the error names it. Nothing stored",
    403: "Wrong key or signature. Nothing stored",
    404: "The provider or source is not configured",
    415: "Not application/x-www-form-urlencoded",
}
STORED_OR_ECHO = "Stored, or an event we do not use (empty); or the zd_echo value"
ECHO = Param("zd_echo", "query", {"type": "string", "maxLength": 64})


def _echo(provider: str) -> Operation:
    return Operation(
        "GET",
        f"/hooks/telephony/{provider.lower()}",
        f"{provider.lower()}Echo",
        f"{provider} URL check: answers the zd_echo value as plain text",
        {200: Reply("The zd_echo value", TEXT_BODY, TEXT)},
        errors={400: "zd_echo is missing or too long", 404: DENIED[404]},
        params=(Param("zd_echo", "query", ECHO.schema, required=True),),
        auth=False,
        storage=False,
        tag="webhooks",
    )


def _zadarma(provider: str) -> Operation:
    return Operation(
        "POST",
        f"/hooks/telephony/{provider.lower()}",
        f"{provider.lower()}Notification",
        f"{provider} PBX notification (NOTIFY_START … NOTIFY_RECORD),"
        " Signature header = base64(hex HMAC-SHA1)",
        {200: Reply(STORED_OR_ECHO, TEXT_BODY, TEXT)},
        errors=DENIED,
        params=(Param("Signature", "header", {"type": "string"}, required=True), ECHO),
        request=Request(intake.ZadarmaNotification, (FORM,)),
        auth=False,
        tag="webhooks",
    )


TELEPHONY_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        "/hooks/telephony/mango/events/{kind}",
        "mangoEvent",
        "Mango Office VPBX event (call, summary, recording);"
        " sign = sha256(vpbx_api_key + json + vpbx_api_salt)",
        {200: Reply("Stored durably, or an event we do not use", TEXT_BODY, TEXT)},
        errors=DENIED,
        params=(path_text("kind", "call, summary or recording"),),
        request=Request(intake.MangoEvent, (FORM,)),
        auth=False,
        tag="webhooks",
    ),
    _echo("Zadarma"),
    _zadarma("Zadarma"),
    _echo("Novofon"),
    _zadarma("Novofon"),
    Operation(
        "POST",
        "/hooks/telephony/generic/{source}",
        "genericCallEvent",
        "Generic signed call event from a configured source",
        {200: Reply("Stored durably (duplicate: true for a repeated id)", intake.IntakeAccepted)},
        errors={401: "Timestamp outside the 5-minute window: a replay", **DENIED},
        params=(
            path_text("source"),
            Param(TIMESTAMP_HEADER, "header", {"type": "string"}, required=True),
            Param(SIGNATURE_HEADER, "header", {"type": "string"}, required=True),
        ),
        request=Request(body_schema()),
        auth=False,
        tag="webhooks",
    ),
)
