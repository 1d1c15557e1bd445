"""Quality of the duplicate detector on a generated, labelled data set.

Generates a data set (bench/dedupe/generate.py) unless --data is given, runs
`python -m intake dedupe-eval` on it, and scores the predictions against truth.jsonl:

    .venv/bin/python bench/dedupe_quality.py [--contacts 20000 --leads 4000 --seed 7]
    .venv/bin/python bench/dedupe_quality.py --data DIR            # an existing data set
    .venv/bin/python bench/dedupe_quality.py --data DIR --predictions FILE   # score only
    .venv/bin/python bench/dedupe_quality.py --set independent [--contacts 5000 --leads 1000]

`--set independent` generates the set of bench/dedupe/independent.py instead (written from
issue 16's table and the dedupe-eval contract only; its default seed is 1).

Exit status: 0 scored, 1 scored but a target missed (only with --strict), 2 the CLI failed
or its output is unusable.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "dedupe"))

from generate import generate
from independent import generate as generate_independent

ROOT = Path(__file__).resolve().parents[1]

DECISIONS = ("auto", "review", "new")
# name, metric key, target, higher is better
TARGETS = (
    ("auto-link precision", "auto_precision", 0.998),
    ("auto-link recall", "auto_recall", 0.95),
    ("auto-link F1", "auto_f1", 0.97),
    ("recall of auto+review", "recall_auto_review", 0.99),
)
NO_KIND = "(no corruption)"
PLAIN_NEW = "(plain new person)"
KNOWN_TO_OTHER = "(known person → other contact)"


class ScoringError(Exception):
    """The predictions cannot be scored."""


@dataclass
class Tally:
    """Counts for one row of a breakdown table."""

    known: int = 0
    auto_ok: int = 0
    found: int = 0
    review: int = 0
    new: int = 0
    wrong_auto: int = 0
    new_review: int = 0

    def row(self) -> list[str]:
        """Cells: known n, auto recall, auto+review recall, review share, new n, wrong autos."""
        return [
            str(self.known),
            ratio(self.auto_ok, self.known),
            ratio(self.found, self.known),
            ratio(self.review, self.known),
            str(self.new),
            ratio(self.new_review, self.new),
            str(self.wrong_auto),
        ]


@dataclass
class Report:
    """Every figure the benchmark prints."""

    metrics: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    wrong_by_hard: Counter[str] = field(default_factory=Counter)
    wrong_by_kind: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_channel: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_hard: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return {
            "metrics": self.metrics,
            "counts": self.counts,
            "wrong_auto_by_hard_negative": dict(self.wrong_by_hard),
            "wrong_auto_by_kind": dict(self.wrong_by_kind),
            "by_kind": {k: vars(v) for k, v in sorted(self.by_kind.items())},
            "by_channel": {k: vars(v) for k, v in sorted(self.by_channel.items())},
            "by_hard_negative": {k: dict(v) for k, v in sorted(self.by_hard.items())},
            "warnings": self.warnings,
        }


def ratio(num: int, den: int) -> str:
    """num/den with four decimals, or a dash when den is 0."""
    return f"{num / den:.4f}" if den else "—"


def safe_div(num: float, den: float) -> float:
    """num/den, NaN when den is 0."""
    return num / den if den else math.nan


def f1(precision: float, recall: float) -> float:
    """Harmonic mean; NaN if either is NaN, 0 if both are 0."""
    if math.isnan(precision) or math.isnan(recall):
        return math.nan
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every non-empty line of a JSONL file; ScoringError on a malformed line."""
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ScoringError(f"{path}:{number}: not JSON: {err}") from err
            if not isinstance(row, dict):
                raise ScoringError(f"{path}:{number}: not a JSON object")
            rows.append(row)
    return rows


def index_predictions(
    rows: Iterable[dict[str, Any]], truth_ids: set[str], report: Report
) -> dict[str, dict[str, Any]]:
    """Predictions by lead id; duplicates, unknown ids and bad decisions become warnings."""
    predictions: dict[str, dict[str, Any]] = {}
    duplicates = unknown = bad = 0
    for row in rows:
        lead_id = row.get("lead_id")
        if lead_id is None:
            raise ScoringError(f"prediction without lead_id: {row}")
        lead_id = str(lead_id)
        if lead_id not in truth_ids:
            unknown += 1
            continue
        if lead_id in predictions:
            duplicates += 1
            continue
        if row.get("decision") not in DECISIONS:
            bad += 1
        predictions[lead_id] = row
    if duplicates:
        report.warnings.append(f"{duplicates} duplicate prediction lines (first one kept)")
    if unknown:
        report.warnings.append(f"{unknown} predictions for lead ids not in truth.jsonl")
    if bad:
        report.warnings.append(f"{bad} predictions with a decision outside {DECISIONS}")
    return predictions


def as_id(value: Any) -> str | None:
    """Ids compared as strings (an evaluator may write 17 for "17"); None stays None."""
    return None if value is None or value == "" else str(value)


def score(truth: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> Report:
    """All metrics of predictions against truth."""
    report = Report()
    predictions = index_predictions(predicted, {t["lead_id"] for t in truth}, report)
    missing = len(truth) - len(predictions)
    if missing:
        report.warnings.append(f"{missing} leads without a prediction (scored as 'new')")
    known = auto_links = auto_ok = found = reviews = wrong_auto = 0
    new_total = new_kept_apart = 0
    company_tp = company_pred = company_true = 0
    for item in truth:
        pred = predictions.get(item["lead_id"], {})
        decision = pred.get("decision", "new")
        true_contact = as_id(item["contact_id"])
        pred_contact = as_id(pred.get("contact_id"))
        kinds = item["kinds"] or [NO_KIND]
        hard = item["hard_negative"]
        is_auto = decision == "auto" and pred_contact is not None
        hit_auto = is_auto and pred_contact == true_contact
        wrong = is_auto and pred_contact != true_contact
        hit_any = decision in ("auto", "review") and pred_contact is not None
        hit_any = hit_any and pred_contact == true_contact
        reviews += decision == "review"
        auto_links += is_auto
        tallies = [report.by_kind[k] for k in kinds] + [report.by_channel[item["channel"]]]
        if true_contact is not None:
            known += 1
            auto_ok += hit_auto
            found += hit_any
            for tally in tallies:
                tally.known += 1
                tally.auto_ok += hit_auto
                tally.found += hit_any
                tally.review += decision == "review"
        else:
            new_total += 1
            new_kept_apart += not is_auto
            label = hard or PLAIN_NEW
            report.by_hard[label]["n"] += 1
            report.by_hard[label][decision if decision in DECISIONS else "new"] += 1
            report.by_hard[label]["wrong auto"] += is_auto
            for tally in tallies:
                tally.new += 1
                tally.new_review += decision == "review"
        if wrong:
            wrong_auto += 1
            report.wrong_by_hard[hard or (KNOWN_TO_OTHER if true_contact else PLAIN_NEW)] += 1
            for kind in kinds:
                report.wrong_by_kind[kind] += 1
            for tally in tallies:
                tally.wrong_auto += 1
        true_company = as_id(item["company_id"])
        pred_company = as_id(pred.get("company_id"))
        company_true += true_company is not None
        company_pred += pred_company is not None
        company_tp += true_company is not None and pred_company == true_company
    precision = safe_div(auto_ok, auto_links)
    recall = safe_div(auto_ok, known)
    company_p = safe_div(company_tp, company_pred)
    company_r = safe_div(company_tp, company_true)
    report.metrics = {
        "auto_precision": precision,
        "auto_recall": recall,
        "auto_f1": f1(precision, recall),
        "review_share": safe_div(reviews, len(truth)),
        "recall_auto_review": safe_div(found, known),
        "new_kept_apart": safe_div(new_kept_apart, new_total),
        "company_precision": company_p,
        "company_recall": company_r,
        "company_f1": f1(company_p, company_r),
    }
    report.counts = {
        "leads": len(truth),
        "known": known,
        "new": new_total,
        "auto_links": auto_links,
        "correct_auto": auto_ok,
        "wrong_auto": wrong_auto,
        "review": reviews,
        "found_auto_review": found,
        "missing_predictions": missing,
        "company_true": company_true,
        "company_predicted": company_pred,
        "company_correct": company_tp,
    }
    return report


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, first column left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(value: float) -> str:
    """A metric with four decimals, a dash for NaN."""
    return "—" if math.isnan(value) else f"{value:.4f}"


def render(report: Report) -> tuple[str, bool]:
    """The printed report and whether every target was met."""
    m, c = report.metrics, report.counts
    out = []
    all_met = True
    out.append(
        f"leads {c['leads']}: known {c['known']}, new {c['new']}; auto links {c['auto_links']} "
        f"(correct {c['correct_auto']}, wrong {c['wrong_auto']}), review {c['review']}"
    )
    out.append("")
    for label, key, target in TARGETS:
        value = m[key]
        met = not math.isnan(value) and value >= target
        all_met = all_met and met
        flag = "ok" if met else "MISSED"
        out.append(f"  {label:<24} {fmt(value):>7}   target ≥ {target:<6} {flag}")
    out.append(f"  {'review share':<24} {fmt(m['review_share']):>7}   (of all leads)")
    out.append(
        f"  {'new people kept apart':<24} {fmt(m['new_kept_apart']):>7}   (not auto-linked)"
    )
    out.append(
        f"  {'company F1':<24} {fmt(m['company_f1']):>7}   precision {fmt(m['company_precision'])}"
        f", recall {fmt(m['company_recall'])} ({c['company_correct']} of {c['company_true']}"
        f" true, {c['company_predicted']} predicted)"
    )
    out.append(f"  {'wrong automatic links':<24} {c['wrong_auto']:>7}")
    for label, count in report.wrong_by_hard.most_common():
        out.append(f"      {label:<36} {count:>5}")
    if report.wrong_by_kind:
        out.append("    wrong automatic links by corruption kind:")
        for label, count in report.wrong_by_kind.most_common():
            out.append(f"      {label:<36} {count:>5}")
    header = ["", "known", "auto R", "a+r R", "review", "new", "new→rev", "wrong auto"]
    out.append("\nBy corruption kind (a lead counts under each of its kinds):")
    rows = [[k, *t.row()] for k, t in sorted(report.by_kind.items(), key=lambda kv: -kv[1].known)]
    out.append(table(header, rows))
    out.append("\nBy channel:")
    rows = [[k, *t.row()] for k, t in sorted(report.by_channel.items())]
    out.append(table(header, rows))
    out.append("\nNew people by hard negative (truth: no contact):")
    rows = [
        [k, str(v["n"]), str(v["wrong auto"]), str(v["review"]),
         str(v["n"] - v["wrong auto"] - v["review"])]
        for k, v in sorted(report.by_hard.items(), key=lambda kv: -kv[1]["n"])
    ]  # fmt: skip
    out.append(table(["", "n", "wrong auto", "review", "kept new"], rows))
    for warning in report.warnings:
        out.append(f"WARNING: {warning}")
    return "\n".join(out), all_met


def run_cli(data: Path, predictions: Path, config: str | None, timeout: float) -> float:
    """Run `python -m intake dedupe-eval`; return its wall time; exit 2 on failure."""
    command = [sys.executable, "-m", "intake"]
    if config:
        command += ["--config", config]
    command += [
        "dedupe-eval",
        "--contacts", str(data / "contacts.jsonl"),
        "--companies", str(data / "companies.jsonl"),
        "--leads", str(data / "leads.jsonl"),
        "--out", str(predictions),
    ]  # fmt: skip
    print("running: " + " ".join(command[1:]), flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as err:
        print(f"dedupe-eval did not finish in {timeout:.0f} s", file=sys.stderr)
        print(err.stderr or "", file=sys.stderr)
        sys.exit(2)
    took = time.perf_counter() - started
    if done.returncode != 0:
        print(f"dedupe-eval failed with exit status {done.returncode}:", file=sys.stderr)
        print(done.stderr[-20000:] or "(no stderr)", file=sys.stderr)
        if done.stdout.strip():
            print(done.stdout[-5000:], file=sys.stderr)
        sys.exit(2)
    if not predictions.exists():
        print(f"dedupe-eval exited 0 but wrote no {predictions}", file=sys.stderr)
        sys.exit(2)
    return took


def main() -> int:
    """Generate (or take) a data set, run the detector, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="existing data set (else one is generated)")
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--seed", type=int, help="default 7 (generated) or 1 (independent)")
    parser.add_argument(
        "--set",
        choices=("generated", "independent"),
        default="generated",
        help="which generator makes the set: generate.py or independent.py",
    )
    parser.add_argument("--predictions", type=Path, help="score this file; do not run the CLI")
    parser.add_argument("--keep", type=Path, help="write the generated set here and keep it")
    parser.add_argument("--config", help="passed to leadintake as --config")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the CLI")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.predictions and not args.data:
        parser.error("--predictions needs --data (the set it was made from)")
    with tempfile.TemporaryDirectory(prefix="dedupe-quality-") as tmp:
        data = args.data or args.keep or Path(tmp) / "data"
        if not args.data:
            started = time.perf_counter()
            make = generate_independent if args.set == "independent" else generate
            seed = args.seed if args.seed is not None else (1 if args.set == "independent" else 7)
            counts = make(data, seed, args.contacts, args.leads)
            print(
                f"generated {args.set} set, seed {seed}: {counts['contacts']} contacts, "
                f"{counts['companies']} companies, {counts['leads']} leads "
                f"in {time.perf_counter() - started:.1f} s → {data}"
            )
        truth_path = data / "truth.jsonl"
        if not truth_path.exists():
            parser.error(f"{truth_path} not found")
        took = None
        predictions = args.predictions
        if predictions is None:
            predictions = Path(tmp) / "predictions.jsonl"
            took = run_cli(data, predictions, args.config, args.timeout)
        try:
            truth = read_jsonl(truth_path)
            report = score(truth, read_jsonl(predictions))
        except (OSError, ScoringError) as err:
            print(f"cannot score {predictions}: {err}", file=sys.stderr)
            return 2
    if took is not None:
        rate = len(truth) / took if took else math.inf
        report.metrics["cli_seconds"] = took
        report.metrics["leads_per_second"] = rate
        print(f"dedupe-eval: {took:.1f} s, {rate:.0f} leads/s (base load included)")
    text, all_met = render(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    if report.counts["missing_predictions"] == len(truth):
        print("no usable predictions", file=sys.stderr)
        return 2
    return 1 if args.strict and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
