"""Train the clause sentence classifier on CUAD clause spans.

    python -m clm.clauses.extract.train --gold ../shared/data/cuad/dev --out clm/clauses/extract/model/

The shipped model is trained on dev minus its held-back slice (:func:`heldback`): about a fifth
of dev, chosen by a stable hash of the contract id, that no model, rule or feature is fitted to,
so ``benchmarks/extraction.py --heldback`` measures contracts the model has never seen.

Every candidate segment extraction looks at (pipeline.candidate_segments) becomes one row;
it is positive for a label when it overlaps a labelled span of the label's CUAD category
(classifier.LABELS). Deterministic: the same data gives the same model.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clm.clauses.extract import classifier as K
from clm.clauses.extract import fields as F
from clm.clauses.extract.pipeline import candidate_segments, run

DEFAULT_GOLD = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "cuad" / "dev"


#: Percent of dev held back: a contract is held back iff int(sha1(id)[:8], 16) % 100 < HELDBACK_PERCENT
#: (70 of the 351 dev contracts). Never read their text, labels or errors; only benchmarks/extraction.py
#: --heldback scores them, in aggregate.
HELDBACK_PERCENT = 20


def heldback(contract_id: str) -> bool:
    """Return whether a dev contract is in the held-back slice (a stable hash of its id)."""
    return int(hashlib.sha1(contract_id.encode("utf-8")).hexdigest()[:8], 16) % 100 < HELDBACK_PERCENT


def dev_ids(gold_dir: Path, *, held: bool = False) -> list[str]:
    """Return the ids of contracts.jsonl in file order: the held-back slice if ``held``, else the rest."""
    out = []
    with open(gold_dir / "contracts.jsonl", encoding="utf-8") as f:
        for line in f:
            cid = json.loads(line)["id"]
            if heldback(cid) == held:
                out.append(cid)
    return out


@dataclass
class Contract:
    """One labelled contract: its text and the gold spans per classifier label."""

    id: str
    text: str
    spans: dict[str, list[tuple[int, int]]]


def gold_spans(text: str, category: dict) -> list[tuple[int, int]]:
    """Return the labelled spans of one CUAD category (every occurrence of ambiguous pieces)."""
    out: list[tuple[int, int]] = []
    for cl in category.get("clauses", []):
        for s, e in cl["spans"]:
            out.append((s, e))
            if cl.get("ambiguous"):
                piece = text[s:e]
                at = text.find(piece)
                while at != -1:
                    out.append((at, at + len(piece)))
                    at = text.find(piece, at + 1)
    return sorted(set(out))


def load_contracts(gold_dir: Path, ids: Iterable[str] | None = None) -> list[Contract]:
    """Read contracts.jsonl and labels.jsonl of a CUAD split (optionally only ``ids``)."""
    want = set(ids) if ids is not None else None
    texts: dict[str, str] = {}
    with open(gold_dir / "contracts.jsonl", encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if want is None or o["id"] in want:
                texts[o["id"]] = o["text"]
    out = []
    with open(gold_dir / "labels.jsonl", encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if o["id"] not in texts:
                continue
            text = texts[o["id"]]
            spans = {lab: gold_spans(text, o["categories"].get(cat, {})) for lab, cat in K.LABELS.items()}
            out.append(Contract(o["id"], text, spans))
    return out


def segment_rows(text: str) -> tuple[list[F.Seg], list[np.ndarray]]:
    """Return the processed candidate segments of ``text`` and their feature rows."""
    segs = [F.seg_from_doc(doc) for doc in run(text, candidate_segments(text))]
    return segs, [K.features(s.text, s.cats) for s in segs]


def segment_labels(segs: Sequence[F.Seg], spans: dict[str, list[tuple[int, int]]],
                   labels: Sequence[str]) -> np.ndarray:
    """Return the (n_segs, n_labels) 0/1 matrix: a segment is positive if it overlaps a gold span."""
    y = np.zeros((len(segs), len(labels)), dtype=np.float32)
    starts = np.array([s.start for s in segs], dtype=np.int64)
    ends = np.array([s.end for s in segs], dtype=np.int64)
    for j, lab in enumerate(labels):
        for gs, ge in spans.get(lab, []):
            y[(starts < ge) & (gs < ends), j] = 1.0
    return y


@dataclass
class Dataset:
    """Feature rows, labels and the contract each row comes from."""

    rows: list[np.ndarray]
    y: np.ndarray
    group: np.ndarray
    ids: list[str]


def build_dataset(contracts: Sequence[Contract], labels: Sequence[str] = tuple(K.LABELS)) -> Dataset:
    """Featurise every candidate segment of every contract."""
    rows: list[np.ndarray] = []
    ys = []
    group = []
    for g, c in enumerate(contracts):
        segs, r = segment_rows(c.text)
        rows.extend(r)
        ys.append(segment_labels(segs, c.spans, labels))
        group.extend([g] * len(segs))
    y = np.concatenate(ys) if ys else np.zeros((0, len(labels)), dtype=np.float32)
    return Dataset(rows, y, np.asarray(group, dtype=np.int64), [c.id for c in contracts])


def train(data: Dataset, mask: np.ndarray | None = None,
          labels: Sequence[str] = tuple(K.LABELS)) -> K.SentenceClassifier:
    """Fit the classifier on the rows selected by ``mask`` (all rows by default)."""
    sel = np.flatnonzero(mask) if mask is not None else np.arange(len(data.rows))
    return K.fit([data.rows[i] for i in sel], data.y[sel], labels)


def main(argv: list[str] | None = None) -> int:
    """Train on a CUAD split and write model/clauses.json."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="dir with contracts.jsonl, labels.jsonl")
    ap.add_argument("--out", type=Path, default=K.MODEL_PATH.parent, help="output directory")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    contracts = load_contracts(args.gold, dev_ids(args.gold))      # never the held-back slice
    data = build_dataset(contracts)
    t1 = time.perf_counter()
    model = train(data)
    t2 = time.perf_counter()
    out = args.out / K.MODEL_PATH.name
    model.save(out)
    pos = ", ".join(f"{lab}={int(data.y[:, j].sum())}" for j, lab in enumerate(model.labels))
    print(f"contracts: {len(contracts)} (held-back slice excluded)  segments: {len(data.rows)}  positives: {pos}")
    print(f"features {t1 - t0:.1f} s  training {t2 - t1:.1f} s  -> {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
