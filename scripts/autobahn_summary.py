#!/usr/bin/env python3
"""Summarize kosoku (Autobahn TestSuite) reports and gate on them.

Usage:
    autobahn_summary.py [--known FILE] [--counts-file FILE] [--cases GLOB] SIDE=DIR [SIDE=DIR ...]

SIDE is a label (`server`, `client`); DIR holds the `index.json` that kosoku writes (same shape as
Autobahn's: {agent: {case_id: {behavior, behaviorClose, remoteCloseCode, duration, reportfile}}}).

For each side it prints a per-group table (groups 1-13) of OK / NON-STRICT / INFORMATIONAL /
UNIMPLEMENTED / FAILED counts, where a case's status is the worse of its `behavior` and its
`behaviorClose` verdicts, then one line per rejected case with what the report says.

A case is accepted when:
  * groups 1-10: behavior and behaviorClose are both OK, or the case is one Autobahn itself defines
    as informational (it forces both verdicts to INFORMATIONAL) and both are OK/INFORMATIONAL;
  * groups 12-13 (permessage-deflate): as above, or behavior is UNIMPLEMENTED with a clean close;
  * or it is listed in the known-failures file for that side (case id or fnmatch glob), with a
    reason.
Cases of the suite that are missing from a report count as failures. Exit status 1 if any case of
any side is rejected.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path

# Autobahn cases whose `onConnectionLost` sets behavior and behaviorClose to INFORMATIONAL whatever
# happened (kosoku/cases/case7_1_6.py, case7_13_1.py, case7_13_2.py).
INFORMATIONAL_CASES = {"7.1.6", "7.13.1", "7.13.2"}
DEFLATE_GROUPS = {12, 13}
GROUPS = range(1, 14)
STATUSES = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
_RANK = {"OK": 0, "INFORMATIONAL": 1, "NON-STRICT": 2, "UNIMPLEMENTED": 3, "FAILED": 4}
# behaviorClose verdicts folded onto the behavior scale, as Autobahn's report colours them.
_CLOSE_AS = {
    "OK": "OK",
    "INFORMATIONAL": "INFORMATIONAL",
    "WRONG CODE": "NON-STRICT",
    "FAILED BY CLIENT": "NON-STRICT",
}


def case_key(case_id: str) -> list[int]:
    return [int(part) for part in case_id.split(".")]


def status_of(behavior: str, behavior_close: str) -> str:
    b = behavior if behavior in _RANK else "FAILED"
    c = _CLOSE_AS.get(behavior_close, "FAILED")
    return max(b, c, key=_RANK.__getitem__)


def accepted(case_id: str, behavior: str, behavior_close: str) -> bool:
    if behavior == "OK" and behavior_close == "OK":
        return True
    fine = {"OK", "INFORMATIONAL"}
    if case_id in INFORMATIONAL_CASES and behavior in fine and behavior_close in fine:
        return True
    if case_key(case_id)[0] in DEFLATE_GROUPS:
        return behavior == "UNIMPLEMENTED" and behavior_close == "OK"
    return False


def suite_case_ids() -> list[str] | None:
    """All case ids kosoku knows, to spot cases missing from a report (None if not importable)."""
    try:
        from kosoku.cases import CASES  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - the summary still works from the report alone
        return None
    return list(CASES)


def load_known(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {side: dict(entries) for side, entries in data.items() if not side.startswith("_")}


def known_reason(known: dict[str, str], case_id: str) -> str | None:
    for pattern, reason in known.items():
        if fnmatch.fnmatchcase(case_id, pattern):
            return reason
    return None


def summarize_side(
    side: str, outdir: Path, known: dict[str, str], all_ids: list[str] | None
) -> tuple[int, int]:
    index_path = outdir / "index.json"
    print(f"\n=== Autobahn {side} ({index_path}) ===")
    if not index_path.exists():
        print(f"  no report: {index_path} is missing")
        return 0, 1
    index = json.loads(index_path.read_text())
    if not index:
        print("  report is empty")
        return 0, 1

    passed = failed = 0
    for agent, cases in sorted(index.items()):
        print(f"agent: {agent}  ({len(cases)} cases)")
        counts = {g: dict.fromkeys(STATUSES + ["close!=OK", "known", "rejected"], 0) for g in GROUPS}
        rejected: list[str] = []
        used_known: set[str] = set()
        for case_id in sorted(cases, key=case_key):
            entry = cases[case_id]
            behavior, close = entry["behavior"], entry["behaviorClose"]
            group = case_key(case_id)[0]
            row = counts.setdefault(group, dict.fromkeys(counts[1], 0))
            row[status_of(behavior, close)] += 1
            if close != "OK":
                row["close!=OK"] += 1
            if accepted(case_id, behavior, close):
                passed += 1
                continue
            reason = known_reason(known, case_id)
            if reason is not None:
                row["known"] += 1
                used_known.add(case_id)
                passed += 1
                continue
            row["rejected"] += 1
            failed += 1
            rejected.append(describe(outdir, case_id, entry))

        missing = [c for c in (all_ids or []) if c not in cases]
        for case_id in missing:
            group = case_key(case_id)[0]
            if known_reason(known, case_id) is None:
                counts[group]["rejected"] += 1
                failed += 1
                rejected.append(f"  {case_id:<8} MISSING from the report")

        print_table(counts)
        if rejected:
            print(f"rejected cases ({len(rejected)}):")
            print("\n".join(rejected))
        stale = sorted(
            (p for p in known if not any(fnmatch.fnmatchcase(c, p) for c in used_known)),
            key=str,
        )
        if stale:
            print(f"note: known-failure entries that matched no failing case: {', '.join(stale)}")
    print(f"autobahn-{side}: {passed} passed, {failed} failed")
    return passed, failed


def describe(outdir: Path, case_id: str, entry: dict) -> str:
    line = (
        f"  {case_id:<8} behavior={entry['behavior']} behaviorClose={entry['behaviorClose']}"
        f" remoteCloseCode={entry.get('remoteCloseCode')}"
    )
    report = outdir / entry.get("reportfile", "")
    try:
        detail = json.loads(report.read_text())
    except (OSError, ValueError):
        return line
    desc = " ".join(str(detail.get("description", "")).split())
    if len(desc) > 110:
        desc = desc[:107] + "..."
    return (
        f"{line}\n"
        f"           case: {desc}\n"
        f"           result: {detail.get('result')} | close: {detail.get('resultClose')}"
        f" (wasClean={detail.get('wasClean')}, reason={detail.get('wasNotCleanReason')})\n"
        f"           report: {report.with_suffix('.html')}"
    )


def print_table(counts: dict[int, dict[str, int]]) -> None:
    cols = STATUSES + ["close!=OK", "known", "rejected"]
    header = f"{'group':>5} " + " ".join(f"{c:>13}" for c in cols)
    print(header)
    print("-" * len(header))
    totals = dict.fromkeys(cols, 0)
    for group in sorted(counts):
        row = counts[group]
        if not any(row.values()):
            continue
        print(f"{group:>5} " + " ".join(f"{row[c]:>13}" for c in cols))
        for c in cols:
            totals[c] += row[c]
    print("-" * len(header))
    print(f"{'all':>5} " + " ".join(f"{totals[c]:>13}" for c in cols))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--known", type=Path, default=None, help="known-failures JSON file")
    parser.add_argument("--counts-file", type=Path, default=None, help="append 'NAME P F' lines")
    parser.add_argument(
        "--cases", action="append", default=None, help="case globs that were run (default: all)"
    )
    parser.add_argument("sides", nargs="+", metavar="SIDE=DIR")
    args = parser.parse_args()

    known = load_known(args.known)
    all_ids = suite_case_ids()
    if all_ids is not None and args.cases:
        all_ids = [c for c in all_ids if any(fnmatch.fnmatchcase(c, g) for g in args.cases)]
    total_failed = 0
    for spec in args.sides:
        side, _, outdir = spec.partition("=")
        if not outdir:
            parser.error(f"expected SIDE=DIR, got {spec!r}")
        passed, failed = summarize_side(side, Path(outdir), known.get(side, {}), all_ids)
        total_failed += failed
        if args.counts_file:
            with args.counts_file.open("a") as f:
                f.write(f"autobahn-{side} {passed} {failed}\n")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
