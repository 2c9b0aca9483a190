"""Benchmark clm.clauses.extract on CUAD dev: accuracy via the shared scorer, words/s and peak RSS."""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                     # run from a checkout without installing

from clm.clauses.extract import build_nlp, extract

DEFAULT_GOLD = ROOT.parent / "shared" / "data" / "cuad" / "dev"
DEFAULT_SCORER = ROOT.parent / "shared" / "tools" / "score_extraction.py"


def load(path: Path, limit: int | None) -> list[dict[str, str]]:
    """Return up to ``limit`` contract records from a contracts.jsonl file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(out) >= limit:
                break
            out.append(json.loads(line))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run extraction over the contracts, write predictions, score them, print figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="dir with contracts.jsonl, labels.jsonl")
    ap.add_argument("--scorer", type=Path, default=DEFAULT_SCORER)
    ap.add_argument("--limit", type=int, default=None, help="only the first N contracts")
    ap.add_argument("--out", type=Path, default=Path("/tmp/clm_extraction_predictions.jsonl"))
    args = ap.parse_args(argv)

    records = load(args.gold / "contracts.jsonl", args.limit)
    build_nlp()                                   # load time is not throughput
    words = chars = 0
    t0 = time.perf_counter()
    with open(args.out, "w", encoding="utf-8") as f:
        for rec in records:
            text = rec["text"]
            words += len(text.split())
            chars += len(text)
            f.write(json.dumps(extract(text).to_json(rec["id"])) + "\n")
    elapsed = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    gold = args.gold
    if args.limit is not None:
        # Score only the contracts we ran: a temporary gold dir with the matching labels.
        ids = {r["id"] for r in records}
        gold = Path("/tmp/clm_extraction_gold")
        gold.mkdir(exist_ok=True)
        with open(args.gold / "labels.jsonl", encoding="utf-8") as src, \
                open(gold / "labels.jsonl", "w", encoding="utf-8") as dst:
            for line in src:
                if json.loads(line)["id"] in ids:
                    dst.write(line)
        with open(gold / "contracts.jsonl", "w", encoding="utf-8") as dst:
            for rec in records:
                dst.write(json.dumps(rec) + "\n")
    scored = subprocess.run([sys.executable, str(args.scorer), str(gold), str(args.out)], check=False)
    print(f"\ncontracts: {len(records)}  words: {words:,}  chars: {chars:,}  time: {elapsed:.1f} s")
    print(f"throughput: {words / elapsed:,.0f} words/s (one process)  peak RSS: {rss_mb:.0f} MB")
    print(f"predictions: {args.out}")
    return scored.returncode


if __name__ == "__main__":
    sys.exit(main())
