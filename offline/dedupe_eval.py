"""`leadintake dedupe-eval`: load a base into a fresh database and decide every lead."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from crm_core.storage.sqlite import SqliteStorage
from dedupe.decision import Thresholds, Verdict
from dedupe.detector import Detector
from dedupe.profile import build_profile
from offline.base_load import load_base
from offline.jsonl_input import LineReader, lead_line, read_jsonl

BATCH = 2000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EvalInput:
    """The files of one evaluation run."""

    contacts: Path
    companies: Path | None
    leads: Path
    out: Path


@dataclass(frozen=True, slots=True)
class EvalSummary:
    """What the run did."""

    contacts: int
    companies: int
    leads: int
    verdicts: dict[str, int]
    seconds: float


async def run_eval(
    files: EvalInput, region: str, thresholds: Thresholds, progress: TextIO = sys.stderr
) -> EvalSummary:
    """Load companies and contacts, then write one prediction per lead."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="leadintake-eval-") as tmp:
        storage = SqliteStorage(Path(tmp) / "eval.sqlite3")
        await storage.open()
        try:
            await storage.migrate()
            company_ids, contacts = await _load_base(storage, files, region, progress)
            verdicts, leads = await _decide_leads(
                storage, files, region, thresholds, contacts, company_ids, progress
            )
        finally:
            await storage.close()
    return EvalSummary(
        len(contacts), len(company_ids), leads, verdicts, time.perf_counter() - started
    )


async def _load_base(
    storage: SqliteStorage, files: EvalInput, region: str, progress: TextIO
) -> tuple[dict[str | int, int], dict[int, str | int]]:
    """Companies (file id → database id) and contacts (database id → file id), loaded."""
    refs: dict[int, str | int] = {}

    def stored(batch: Sequence[str | int], ids: Sequence[int]) -> None:
        refs.update(zip(ids, batch, strict=True))

    def say(text: str) -> None:
        print(f"\r{text}", end="", file=progress, flush=True)

    loaded = await load_base(
        storage, files.contacts, files.companies, region, on_contacts=stored, progress=say
    )
    print(file=progress)
    return loaded.company_ids, refs


async def _decide_leads(
    storage: SqliteStorage,
    files: EvalInput,
    region: str,
    thresholds: Thresholds,
    contact_refs: dict[int, str | int],
    company_ids: dict[str | int, int],
    progress: TextIO,
) -> tuple[dict[str, int], int]:
    company_refs = {db_id: ref for ref, db_id in company_ids.items()}
    detector = Detector(thresholds)
    verdicts = {v.value: 0 for v in Verdict}
    count = 0
    with files.out.open("w", encoding="utf-8") as out:
        for batch in _batches(_lines(files.leads, lead_line)):
            async with storage.transaction() as uow:
                for ref, raw in batch:
                    decision = await detector.detect(build_profile(raw, region), uow.identity)
                    line: dict[str, Any] = {
                        "lead_id": ref,
                        "contact_id": contact_refs.get(decision.contact_id)
                        if decision.contact_id is not None
                        else None,
                        "company_id": company_refs.get(decision.company_id)
                        if decision.company_id is not None
                        else None,
                        "score": round(decision.score, 4),
                        "decision": decision.verdict.value,
                    }
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")
                    verdicts[decision.verdict.value] += 1
            count += len(batch)
            print(f"\rleads: {count}", end="", file=progress, flush=True)
    print(file=progress)
    return verdicts, count


def _lines(path: Path, parse: Callable[[LineReader], T]) -> Iterator[T]:
    for number, value in read_jsonl(path):
        yield parse(LineReader(path, number, value))


def _batches(items: Iterator[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
