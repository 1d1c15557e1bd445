"""The operation table of a person's data on request (152-FZ; heads only)."""

from __future__ import annotations

from intake.http.contract import Operation, Reply, Request, path_id, query
from intake.http.schemas import persons

TAG = "persons"
HEADS_ONLY = "Not a head of sales"
WHO = (
    query("phone", description="The person's phone, in any spelling (exactly one of the two)"),
    query("email", description="The person's e-mail, in any case"),
)
HTML = "text/html"
HTML_PAGE = {"type": "string"}

PERSON_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/v1/persons",
        "findPerson",
        "Every record held on a person (by phone or e-mail, through the duplicate index too,"
        " with their leads, deals, messages, calls, consents, audit entries and raw"
        " requests); heads only",
        {200: Reply("Row ids by table", persons.PersonFound)},
        errors={400: "Neither or both of phone and email, or not a phone/e-mail", 403: HEADS_ONLY},
        params=WHO,
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/persons/export",
        "exportPerson",
        "Everything held on a person, for a subject access request; `format=html` gives the"
        " printable «Сведения о персональных данных» instead (text/html); heads only",
        {
            200: Reply(
                "Every row by table (JSON), or the printable report (format=html)",
                persons.PersonExport,
                alternatives={HTML: HTML_PAGE},
            )
        },
        errors={400: "Neither or both of phone and email, or a bad format", 403: HEADS_ONLY},
        params=(
            *WHO,
            query("format", {"type": "string", "enum": ["json", "html"]}, "json or html"),
        ),
        tag=TAG,
    ),
    Operation(
        "POST",
        "/api/v1/persons/erase",
        "erasePerson",
        "Erase a person's data everywhere it is held (business records stay, anonymised) and"
        " journal it; heads only",
        {200: Reply("The journal id and rows anonymised by table", persons.PersonErased)},
        errors={400: "Invalid body; the error names the field", 403: HEADS_ONLY},
        request=Request(persons.PersonErasure),
        tag=TAG,
    ),
    Operation(
        "GET",
        "/api/v1/persons/erasures/{erasure_id}/act",
        "getErasureAct",
        "The printable «Акт об уничтожении персональных данных» of one erasure; heads only",
        {200: Reply("The act", HTML_PAGE, HTML)},
        errors={400: "Invalid id", 403: HEADS_ONLY, 404: "No such erasure"},
        params=(path_id("erasure_id"),),
        tag=TAG,
    ),
)
