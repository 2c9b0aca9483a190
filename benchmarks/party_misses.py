"""Count the party value misses that are the scorer's collective phrases, not names clm missed.

    python benchmarks/extraction.py --cv 5 --out /tmp/cv.jsonl && python benchmarks/party_misses.py /tmp/cv.jsonl
    python benchmarks/extraction.py --heldback --out /tmp/hb.jsonl && python benchmarks/party_misses.py /tmp/hb.jsonl

CUAD's Parties answer sometimes lists a collective phrase as one more party ("Company and
Consultant", "each Party or any of its Affiliates"). clm does not emit such phrases, so the shared
scorer (which wants every gold name matched) counts those contracts wrong. This script reads the
predictions of the contracts a benchmark ran, matches names exactly as the scorer does, and prints
counts only (no contract, name or text): how many contracts' parties are counted wrong, how many of
those are wrong only because of collective gold phrases, and how many collective phrases clm itself
emitted (should be 0).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GOLD = ROOT.parent / "shared" / "data" / "cuad" / "dev"
DEFAULT_SCORER = ROOT.parent / "shared" / "tools" / "score_extraction.py"

#: A party string that names several parties at once, or a role pair rather than a name.
_COLLECTIVE = re.compile(r"\b(?:and|or|each|both|all|collectively|together|jointly|parties|affiliates)\b",
                         re.IGNORECASE)
#: A company or institution name that may hold "and": "Savings and Loan Association", "Centre for Probe
#: Development and Commercialization", or a name ending in a corporate suffix ("Hotels & Resorts, B.V.").
_INSTITUTION = re.compile(r"\b(?:association|partnership|cent(?:re|er)|institute|university|foundation|fund|bank"
                          r"|trust|group|holdings?|partners)\b", re.IGNORECASE)
_SUFFIX = re.compile(r"\b(?:inc|corp|corporation|llc|ltd|limited|plc|l\.?\s?p|llp|gmbh|ag|s\.?\s?a|n\.?\s?v"
                     r"|b\.?\s?v|co|company)\W*$", re.IGNORECASE)


def collective(name: str) -> bool:
    """Return whether a party string is a collective phrase ("Company and Consultant", "each Party
    or any of its Affiliates"): two names or roles joined, or several parties named at once. Approximate:
    a firm named "X and Y" without a corporate suffix counts too."""
    bare = re.sub(r"[\"“”][^\"“”]*[\"“”]|\([^()]*\)", " ", name)
    return bool(_COLLECTIVE.search(bare)) and not _INSTITUTION.search(bare) and not _SUFFIX.search(bare)


def _scorer(path: Path):
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str] | None = None) -> int:
    """Print the counts for one predictions file."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("predictions", type=Path)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--scorer", type=Path, default=DEFAULT_SCORER)
    args = ap.parse_args(argv)
    S = _scorer(args.scorer)
    preds = {}
    with open(args.predictions, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            preds[o["id"]] = o
    compared = wrong = only_collective = some_collective = pairing = emitted = emitted_collective = 0
    with open(args.gold / "labels.jsonl", encoding="utf-8") as f:
        for line in f:
            lab = json.loads(line)
            if lab["id"] not in preds:
                continue
            answer = lab["categories"]["Parties"].get("answer")
            pred = preds[lab["id"]].get("fields", {}).get("parties") or []
            emitted += len(pred)
            emitted_collective += sum(collective(p) for p in pred)
            if not answer or not pred:
                continue
            gold = S.parse_gold_parties(answer)
            if not gold:
                continue
            compared += 1
            pn = [S.norm_party(p) for p in pred]
            matched, ng, np_ = S.match_parties(gold, pn)
            if matched == ng == np_:
                continue
            wrong += 1
            unmatched = [g for g in gold if not any(S.party_match(g, p) for p in pn)]
            extra = [p for p in pn if not any(S.party_match(g, p) for g in gold)]
            coll = [g for g in unmatched if collective(g)]
            if not unmatched and not extra:
                pairing += 1                # every name matches something; the one-to-one pairing fails
            elif coll:
                some_collective += 1
                if len(coll) == len(unmatched) and not extra:
                    only_collective += 1
    print(f"contracts compared: {compared}  parties counted wrong: {wrong}")
    print(f"  wrong only because the gold answer lists collective phrases: {only_collective}")
    print(f"  wrong with a collective gold phrase among other misses: {some_collective - only_collective}")
    print(f"  wrong though every gold and predicted name has a match (two gold names for one party: "
          f"the scorer pairs names one to one): {pairing}")
    n = max(compared, 1)
    print(f"  value accuracy if collective gold phrases were not required: "
          f"{(compared - wrong + only_collective) / n:.3f} (scorer: {(compared - wrong) / n:.3f})")
    print(f"party names clm emitted: {emitted}, of them collective phrases: {emitted_collective}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
