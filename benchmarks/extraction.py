"""Benchmark clm.clauses.extract on CUAD dev: accuracy via the shared scorer, words/s and peak RSS.

Dev is split once, by a stable hash of the contract id, into a HELD-BACK slice and the rest:
a contract is held back iff int(sha1(id)[:8], 16) % 100 < 20 (clm.clauses.extract.train.heldback;
67 of the 351 dev contracts). The shipped classifier is trained on the rest only; nobody reads the
held-back contracts' text, labels or errors; --heldback scores them in aggregate only.

    python benchmarks/extraction.py               # the rest of dev (284), shipped pipeline
                                                  # (its classifier was trained on them: optimistic)
    python benchmarks/extraction.py --heldback    # the held-back slice (67), shipped pipeline:
                                                  # contracts the model never saw
    python benchmarks/extraction.py --rules-only  # the rest of dev, rules alone
    python benchmarks/extraction.py --cv 5        # the rest of dev, each fold's contracts predicted
                                                  # by a classifier trained on the other folds
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                     # run from a checkout without installing

from clm.clauses.extract import build_nlp, classifier, extract
from clm.clauses.extract.train import heldback

DEFAULT_GOLD = ROOT.parent / "shared" / "data" / "cuad" / "dev"
DEFAULT_SCORER = ROOT.parent / "shared" / "tools" / "score_extraction.py"


def load(path: Path, limit: int | None, *, held: bool = False) -> list[dict[str, str]]:
    """Return up to ``limit`` contract records from a contracts.jsonl file: those of the held-back
    slice if ``held``, else the rest."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(out) >= limit:
                break
            rec = json.loads(line)
            if heldback(rec["id"]) == held:
                out.append(rec)
    return out


def fold_of_id(contract_id: str, k: int) -> int:
    """Return the fold (0..k-1) of a contract: a stable hash of its id."""
    return int(hashlib.sha1(contract_id.encode("utf-8")).hexdigest()[:8], 16) % k


def cv_models(gold: Path, records: list[dict[str, str]], k: int):
    """Train one classifier per fold on the other folds' contracts; return (models, fold per id)."""
    from clm.clauses.extract import train as T

    fold_of = {rec["id"]: fold_of_id(rec["id"], k) for rec in records}
    t0 = time.perf_counter()
    data = T.build_dataset(T.load_contracts(gold, fold_of))
    seg_fold = np.array([fold_of[data.ids[g]] for g in data.group], dtype=np.int64)
    models = {f: T.train(data, mask=seg_fold != f) for f in range(k)}
    print(f"cv: {k} folds over {len(data.ids)} contracts ({len(data.rows)} segments), "
          f"trained in {time.perf_counter() - t0:.0f} s", flush=True)
    return models, fold_of


def main(argv: list[str] | None = None) -> int:
    """Run extraction over the contracts, write predictions, score them, print figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="dir with contracts.jsonl, labels.jsonl")
    ap.add_argument("--scorer", type=Path, default=DEFAULT_SCORER)
    ap.add_argument("--limit", type=int, default=None, help="only the first N contracts")
    ap.add_argument("--out", type=Path, default=Path("/tmp/clm_extraction_predictions.jsonl"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--cv", type=int, default=None, metavar="K",
                      help="K-fold cross-validation of the classifier over contracts (folds by id hash)")
    mode.add_argument("--rules-only", action="store_true", help="run without the classifier")
    mode.add_argument("--heldback", action="store_true",
                      help="score the held-back slice (never trained on) with the shipped pipeline")
    args = ap.parse_args(argv)
    if args.cv is not None and args.cv < 2:
        ap.error("--cv needs K >= 2")

    records = load(args.gold / "contracts.jsonl", args.limit, held=args.heldback)
    build_nlp()                                   # load time is not throughput
    if args.cv is not None:
        models, fold_of = cv_models(args.gold, records, args.cv)
    else:
        fold_of = {rec["id"]: 0 for rec in records}
        models = {0: None} if args.rules_only else {}
        classifier.active()                       # load the shipped model outside the timing
    words = chars = 0
    elapsed = cpu = 0.0
    results: dict[str, str] = {}
    for k in sorted(set(fold_of.values())):
        with classifier.use(models[k]) if models else contextlib.nullcontext():
            t0, c0 = time.perf_counter(), time.process_time()
            for rec in records:
                if fold_of[rec["id"]] == k:
                    text = rec["text"]
                    words += len(text.split())
                    chars += len(text)
                    results[rec["id"]] = json.dumps(extract(text).to_json(rec["id"]))
            elapsed += time.perf_counter() - t0
            cpu += time.process_time() - c0
    with open(args.out, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(results[rec["id"]] + "\n")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Score only the contracts we ran: a temporary gold dir with the matching labels.
    ids = {r["id"] for r in records}
    with tempfile.TemporaryDirectory(prefix="clm_extraction_gold") as tmp:
        gold = Path(tmp)
        with open(args.gold / "labels.jsonl", encoding="utf-8") as src, \
                open(gold / "labels.jsonl", "w", encoding="utf-8") as dst:
            for line in src:
                if json.loads(line)["id"] in ids:
                    dst.write(line)
        with open(gold / "contracts.jsonl", "w", encoding="utf-8") as dst:
            for rec in records:
                dst.write(json.dumps(rec) + "\n")
        scored = subprocess.run([sys.executable, str(args.scorer), str(gold), str(args.out)], check=False)
    print(f"\ncontracts: {len(records)}  words: {words:,}  chars: {chars:,}  time: {elapsed:.1f} s "
          f"(CPU {cpu:.1f} s)")
    print(f"throughput: {words / max(cpu, 1e-9):,.0f} words/s per core of CPU time "
          f"({words / max(elapsed, 1e-9):,.0f} wall, one process)  peak RSS: {rss_mb:.0f} MB")
    print(f"predictions: {args.out}")
    part = "HELD-BACK slice" if args.heldback else "dev minus the held-back slice"
    print(f"contracts scored: {part}")
    if args.cv is not None:
        print(f"CROSS-VALIDATED ({args.cv} folds): every contract was predicted by a classifier trained "
              "without it (the rules themselves were written looking at all of dev)")
    elif args.heldback:
        print("shipped pipeline on contracts its classifier never saw (the rules predate the slice and "
              "were written looking at all of dev)")
    elif args.rules_only:
        print("rules only (no classifier)")
    elif classifier.active() is not None:
        print("shipped classifier (trained on these contracts): train figures, optimistic")
    else:
        print("no shipped classifier found: rules only")
    return scored.returncode


if __name__ == "__main__":
    sys.exit(main())
