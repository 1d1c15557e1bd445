"""`leadintake inbox`: review the requests the worker parked, retry them or set them aside."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from config import Settings
from crm_core.model import ParkedRequest
from intake.bootstrap import build_storage, prepare_storage
from intake.clock import utcnow
from intake.storable import MAX_INT

LIST_LIMIT = 200


def add_inbox_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `inbox parked`, `inbox retry` and `inbox dismiss`."""
    inbox = commands.add_parser(
        "inbox", help="review requests the worker could not turn into leads"
    )
    actions = inbox.add_subparsers(dest="inbox_command", required=True)
    actions.add_parser("parked", help="list parked requests (no personal data)")
    retry = actions.add_parser("retry", help="put parked requests back in line for the worker")
    chosen = retry.add_mutually_exclusive_group(required=True)
    chosen.add_argument("ids", nargs="*", default=[], type=intake_id, metavar="ID")
    chosen.add_argument("--all", action="store_true", help="every parked request")
    dismiss = actions.add_parser(
        "dismiss", help="set parked requests aside: they stop making /readyz not ready"
    )
    dismiss.add_argument("ids", nargs="+", type=intake_id, metavar="ID")


def intake_id(raw: str) -> int:
    """An intake id from the command line: a positive 64-bit integer."""
    if not raw.isdigit() or not 0 < int(raw) <= MAX_INT:
        raise argparse.ArgumentTypeError(f"not an intake id: {raw!r}")
    return int(raw)


async def run_inbox_command(settings: Settings, args: argparse.Namespace) -> str:
    """Carry out one `inbox` subcommand; the text to print."""
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        if args.inbox_command == "parked":
            async with storage.reader() as uow:
                return render_parked(await uow.inbox.parked(LIST_LIMIT))
        async with storage.transaction() as uow:
            if args.inbox_command == "retry":
                done = await uow.inbox.requeue(None if args.all else args.ids, utcnow())
                return f"requeued: {done}"
            done = await uow.inbox.dismiss(args.ids, utcnow())
            return f"dismissed: {done}"
    finally:
        await storage.close()


def render_parked(rows: Sequence[ParkedRequest]) -> str:
    """One line per parked request: id, where from, when, tries, state and the error kind."""
    if not rows:
        return "no parked requests"
    lines = ["id\tchannel:source\treceived\tattempts\tparked\tstate\terror"]
    for row in rows:
        state = "dismissed" if row.dismissed_at else "parked"
        parked = row.parked_at.isoformat(timespec="seconds") if row.parked_at else "-"
        # The error names the exception only: its message may quote the client's data.
        error = (row.last_error or "").split(":", 1)[0]
        lines.append(
            f"{row.id}\t{row.channel}:{row.source}\t"
            f"{row.received_at.isoformat(timespec='seconds')}\t{row.attempts}\t{parked}\t"
            f"{state}\t{error}"
        )
    return "\n".join(lines)
