"""The operation table of the API-token routes (heads only)."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, path_id
from intake.http.schemas import tokens

HEADS_ONLY = "Not a head of sales"

TOKEN_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/tokens",
        "listTokens",
        "Every API token (never its secret), newest first; heads only",
        {200: Reply("Tokens", tokens.ApiTokenPage)},
        errors={403: HEADS_ONLY},
        tag="tokens",
    ),
    Operation(
        "POST",
        "/api/v1/tokens",
        "issueToken",
        "Issue a named token for an active manager; its secret is shown in this answer only;"
        " heads only",
        {201: Reply("The token, with its secret this once", tokens.IssuedApiToken)},
        errors={400: "Invalid body", 403: HEADS_ONLY, 404: "No active manager with that login"},
        request=Request(tokens.NewApiToken),
        tag="tokens",
    ),
    Operation(
        "POST",
        "/api/v1/tokens/{token_id}/revoke",
        "revokeToken",
        "Revoke a token: it answers 401 from now on; heads only",
        {200: Reply("The token, revoked", tokens.ApiToken)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: "No such token"},
        params=(path_id("token_id"),),
        tag="tokens",
    ),
)
