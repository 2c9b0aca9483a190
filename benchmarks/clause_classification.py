"""Measure the clause classifier on CUAD dev: top-1 / top-3 accuracy per category, and confusions.

Usage (from the project root, venv active)::

    python benchmarks/clause_classification.py [--data /work/shared/data/cuad/dev] [--limit N]

Every labelled clause of a CUAD category that corresponds to a library clause type is classified
twice:

* ``span``: the labelled text alone (pieces joined), with no heading. This is the hard case: CUAD
  labels are often one sentence cut out of a longer clause.
* ``context``: the smallest clause that ``clm.clauses.segment`` finds around the span's first
  character, with the nearest heading above it. This measures segmentation and classification
  together; it is harder than it sounds, because a segmented clause often covers more than the
  one question CUAD labels (a "Term and Termination" section holds renewal and convenience
  termination alike).

The mapping below is fixed in advance from the CUAD category definitions and the library's
clause titles; nothing is tuned per document. Categories with no library counterpart
(Non-Compete, Exclusivity, Most Favored Nation, ...) are left out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from clm.clauses.library import default_library_path, load_library
from clm.clauses.match import classify
from clm.clauses.segment import Clause, segment
from clm.documents import from_text

#: CUAD category -> library clause type. "Loose" ones are related but not the same question:
#: reported per category so the reader can discount them.
MAPPING = {
    "Governing Law": "governing_law",
    "Anti-Assignment": "assignment",
    "Change Of Control": "assignment",  # loose: CUAD labels change-of-control triggers anywhere
    "Cap On Liability": "limitation_of_liability",
    "Uncapped Liability": "limitation_of_liability",
    "Insurance": "insurance",
    "Audit Rights": "audit",  # loose: CUAD audits are mostly of books and records, ours of security
    "Renewal Term": "term_and_renewal",
    "Notice Period To Terminate Renewal": "term_and_renewal",
    "Expiration Date": "term_and_renewal",
    "Termination For Convenience": "termination_for_convenience",
    "No-Solicit Of Employees": "non_solicitation",
    "Ip Ownership Assignment": "ip_ownership",
    "Joint Ip Ownership": "ip_ownership",
    "License Grant": "acceptable_use",  # the library's "Use of the Services" is the licence grant
    "Non-Transferable License": "acceptable_use",
    "Warranty Duration": "warranties",
    "Price Restrictions": "price_increases",
    "Post-Termination Services": "termination_for_cause",  # loose: effect of termination
}


def _context(clauses: list[Clause], offset: int) -> tuple[str, str] | None:
    """Return (heading, body) of the smallest segmented clause holding ``offset``.

    The heading is the clause's own or, for an unheaded sub-clause such as "(b)", that of the
    nearest enclosing clause that has one.
    """
    chain = [c for c in clauses if c.level > 0 and c.start <= offset < c.end]
    if not chain:
        return None
    chain.sort(key=lambda c: (c.level, c.start))
    heading = next((c.heading for c in reversed(chain) if c.heading), "")
    return heading, chain[-1].body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/cuad/dev", help="directory with the CUAD jsonl files")
    parser.add_argument("--limit", type=int, default=0, help="only the first N contracts (0 = all)")
    args = parser.parse_args(argv)
    data = Path(args.data)
    library = load_library(default_library_path())
    missing = sorted(set(MAPPING.values()) - set(library.clauses))
    if missing:
        print(f"library lacks {missing}", file=sys.stderr)
        return 2

    texts: dict[str, str] = {}
    with open(data / "contracts.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts[row["id"]] = row["text"]

    modes = ("span", "context")
    top1: dict[str, dict[str, int]] = {m: Counter() for m in modes}
    top3: dict[str, dict[str, int]] = {m: Counter() for m in modes}
    total: Counter[str] = Counter()
    confusion: dict[str, dict[str, Counter[str]]] = {m: defaultdict(Counter) for m in modes}
    seconds = {"segment": 0.0, "classify": 0.0}
    n_contracts = 0
    with open(data / "labels.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            text = texts[row["id"]]
            wanted = [(cat, c) for cat, v in row["categories"].items() if cat in MAPPING for c in v["clauses"]]
            if not wanted:
                continue
            n_contracts += 1
            if args.limit and n_contracts > args.limit:
                break
            t = time.perf_counter()
            clauses = segment(from_text(text))
            seconds["segment"] += time.perf_counter() - t
            for category, labelled in wanted:
                spans = labelled["spans"]
                if not spans:
                    continue
                truth = MAPPING[category]
                total[category] += 1
                span_text = " ".join(text[s:e] for s, e in spans)
                ctx = _context(clauses, spans[0][0])
                queries = {
                    "span": (span_text, ""),
                    "context": (ctx[1], ctx[0]) if ctx else (span_text, ""),
                }
                for mode, (query, heading) in queries.items():
                    t = time.perf_counter()
                    ranked = [k for k, _ in classify(query, library, heading=heading)[:3]]
                    seconds["classify"] += time.perf_counter() - t
                    if ranked[0] == truth:
                        top1[mode][category] += 1
                    else:
                        confusion[mode][category][ranked[0]] += 1
                    if truth in ranked:
                        top3[mode][category] += 1

    n = sum(total.values())
    print(f"CUAD dev: {n_contracts} contracts, {n} labelled clauses in {len(total)} mapped categories, "
          f"{len(library.clauses)} library clause types")
    print(f"time: segment {seconds['segment']:.1f}s, classify {seconds['classify']:.1f}s "
          f"({1000 * seconds['classify'] / max(1, 2 * n):.2f} ms per clause)\n")
    header = f"{'CUAD category':36s} {'library type':28s} {'n':>5s}  {'span@1':>7s} {'span@3':>7s}  {'ctx@1':>7s} {'ctx@3':>7s}"
    print(header)
    print("-" * len(header))
    for category in sorted(total, key=lambda c: (-total[c], c)):
        k = total[category]
        cells = [f"{100 * d[m][category] / k:6.1f}%" for m in modes for d in (top1, top3)]
        print(f"{category:36s} {MAPPING[category]:28s} {k:5d}  {cells[0]} {cells[1]}  {cells[2]} {cells[3]}")
    print("-" * len(header))
    micro = [f"{100 * sum(d[m].values()) / max(1, n):6.1f}%" for m in modes for d in (top1, top3)]
    macro = [f"{100 * sum(d[m][c] / total[c] for c in total) / max(1, len(total)):6.1f}%"
             for m in modes for d in (top1, top3)]
    print(f"{'overall (micro, per clause)':36s} {'':28s} {n:5d}  {micro[0]} {micro[1]}  {micro[2]} {micro[3]}")
    print(f"{'overall (macro, per category)':36s} {'':28s} {'':5s}  {macro[0]} {macro[1]}  {macro[2]} {macro[3]}")

    for mode in modes:
        print(f"\nMost common top-1 confusions ({mode}):")
        pairs: Counter[tuple[str, str]] = Counter()
        for category, predicted in confusion[mode].items():
            for key, count in predicted.items():
                pairs[(category, key)] += count
        for (category, key), count in pairs.most_common(12):
            print(f"  {count:4d}  {category} ({MAPPING[category]}) -> {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
