"""What an import did: the counters of a batch or a run, and the summary printed at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from offline.contact_import.const import LISTED_REJECTIONS
from offline.contact_import.reader import ImportFile
from offline.csv_input import CsvLayout


@dataclass(slots=True)
class Tally:
    """What happened to the records of one batch (or a whole run)."""

    rows: int = 0
    created: int = 0
    review: int = 0
    merged_within: int = 0
    merged_existing: int = 0
    enriched: int = 0
    companies: int = 0
    rejected: int = 0
    reasons: list[tuple[int, str]] = field(default_factory=list)
    last_line: int = 0

    def reject(self, line: int, reason: str) -> None:
        """Count a rejected record; the first few keep their reason for the summary."""
        self.rejected += 1
        if len(self.reasons) < LISTED_REJECTIONS:
            self.reasons.append((line, reason))

    def add(self, other: Tally) -> None:
        """Fold a committed batch into the run's totals."""
        for name in (
            "rows",
            "created",
            "review",
            "merged_within",
            "merged_existing",
            "enriched",
            "companies",
            "rejected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons += other.reasons[: max(0, LISTED_REJECTIONS - len(self.reasons))]
        self.last_line = max(self.last_line, other.last_line)

    def counts(self) -> dict[str, int]:
        """The counters, JSON-ready (stored with each checkpoint)."""
        return {
            "rows": self.rows,
            "created": self.created,
            "review": self.review,
            "merged_within": self.merged_within,
            "merged_existing": self.merged_existing,
            "companies": self.companies,
            "rejected": self.rejected,
        }


@dataclass(slots=True)
class ImportReport:
    """The outcome of one run, rendered as the summary on stdout."""

    file: ImportFile
    dry_run: bool
    resumed_after: int = 0
    already_complete: datetime | None = None
    stopped: bool = False
    done: Tally = field(default_factory=Tally)

    def render(self) -> str:
        """The human summary."""
        f, t = self.file, self.done
        how = f.format if f.layout is None else f"csv, {f.encoding}, {_delimiter(f.layout)}"
        out = [f"import-contacts: {f.path.name} ({how}) sha256 {f.sha256[:16]}"]
        if self.already_complete is not None:
            at = self.already_complete.strftime("%Y-%m-%d %H:%M UTC")
            out.append(f"already imported completely on {at}: nothing to do")
            return "\n".join(out)
        if self.dry_run:
            out.append("dry run: nothing was saved")
        if self.resumed_after:
            out.append(f"resumed: lines 1-{self.resumed_after} were imported by an earlier run")
        out += [
            f"imported: {t.created}",
            f"possible duplicates, created: {t.review}",
            f"merged as duplicates: {t.merged_within + t.merged_existing}"
            f" (within the file: {t.merged_within}, with existing contacts:"
            f" {t.merged_existing}; new identifiers added to {t.enriched})",
            f"companies created: {t.companies}",
            f"rejected: {t.rejected}",
        ]
        if f.layout is not None and f.layout.unknown:
            out.append("unknown columns ignored: " + ", ".join(f.layout.unknown))
        if f.layout is not None and f.layout.not_stored:
            out.append("recognised, not stored: " + ", ".join(f.layout.not_stored))
        if t.reasons:
            out.append(f"rejected lines (first {len(t.reasons)} of {t.rejected}):")
            out += [f"  line {line}: {reason}" for line, reason in t.reasons]
        if self.stopped:
            out.append(f"stopped after line {t.last_line}: run the same command again to continue")
        return "\n".join(out)


def _delimiter(layout: CsvLayout) -> str:
    return {"\t": "tab", ";": "';'", ",": "','"}.get(layout.delimiter, repr(layout.delimiter))
