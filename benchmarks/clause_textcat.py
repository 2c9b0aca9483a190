"""Compare the linear clause sentence classifier with a spaCy ``textcat_multilabel`` CNN (issue 20).

Usage (from the project root, one core)::

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
    .venv/bin/python benchmarks/clause_textcat.py --k 5 --epochs 8 \\
        [--cache /tmp/clause_segments.pkl] [--limit-contracts N] [--no-textcat]

Data: CUAD dev minus its held-back slice (clm.clauses.extract.train.dev_ids; the held-back
contracts are never read). Every candidate segment of every contract becomes one row, exactly as
``clm.clauses.extract.train`` builds the linear model's training set (segment_rows +
segment_labels): a row is positive for a label when it overlaps a gold span of the label's CUAD
category.

Folds are contract-level: fold = benchmarks/extraction.py's fold_of_id(id, k). For each fold in
``--folds``, both models are trained on the rows of the other k-1 folds and score the fold's rows:

* linear:  classifier.fit (hashed unigrams/bigrams + cue labels), as train.train does;
* textcat: spacy.blank("en") + textcat_multilabel with spacy.TextCatCNN.v2 over a HashEmbedCNN
  tok2vec; the rules' cue labels are appended to the text as pseudo-tokens ("cue_renewal"), so it
  sees what the linear model sees. Trained with nlp.update over shuffled minibatches; seeds fixed.

Reported, pooled over the evaluated folds: per label average precision (area under the P/R curve,
numpy), P/R/F1 at threshold 0.5; training time per fold; inference speed in words per CPU-second
(time.process_time, one thread) over the evaluated segments. Words = whitespace-split words of the
segment texts (cue pseudo-tokens not counted). For textcat two speeds are given: "end-to-end"
(make_doc + textcat, what a standalone classifier costs) and "model only" (textcat on already
tokenised Docs, the cost if it rode on the extraction pipeline's own Docs). The linear speed is
features() + predict_rows.

Measured (2 shared cores, one used; 284 contracts, 21,479 segments, 932,983 words):
``--k 5 --epochs 8`` (all 5 folds, width 64 depth 2 embed 2000), macro AP linear 0.742 vs textcat
0.678; textcat wins only non_renewal (AP 0.653 vs 0.650, F1 0.705 vs 0.611). Training per fold
15-27 s linear vs 217-313 s textcat. Inference: linear 936,645 words/CPU-s; textcat 65,712
end-to-end, 74,302 model only. ``--folds 0 --epochs 8 --width 96 --depth 4 --embed-size 5000``:
macro AP 0.716 linear vs 0.623 textcat, 780 s training, 22,627 words/CPU-s.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))                     # run from a checkout without installing
sys.path.insert(0, str(ROOT / "benchmarks"))

from clm.clauses.extract import classifier as K   # noqa: E402
from clm.clauses.extract import train as T        # noqa: E402

DEFAULT_GOLD = ROOT.parent / "shared" / "data" / "cuad" / "dev"
LABELS = list(K.LABELS)


def fold_of_id(contract_id: str, k: int) -> int:
    """benchmarks/extraction.py's fold of a contract (imported, so the two never disagree)."""
    from extraction import fold_of_id as f
    return f(contract_id, k)


# ------------------------------------------------------------------------------- data
def build(gold: Path, limit: int | None) -> dict:
    """Return the segment dataset: texts, cue sets, feature rows, labels, contract id per row."""
    ids = T.dev_ids(gold)                          # never the held-back slice
    if limit:
        ids = ids[:limit]
    contracts = T.load_contracts(gold, ids)
    assert not any(T.heldback(c.id) for c in contracts)
    texts, cues, rows, ys, cid = [], [], [], [], []
    for c in contracts:
        segs, r = T.segment_rows(c.text)
        texts += [s.text for s in segs]
        cues += [sorted(s.cats) for s in segs]
        rows += r
        ys.append(T.segment_labels(segs, c.spans, LABELS))
        cid += [c.id] * len(segs)
    return {"ids": [c.id for c in contracts], "texts": texts, "cues": cues, "rows": rows,
            "y": np.concatenate(ys), "cid": cid}


def load_data(gold: Path, limit: int | None, cache: Path | None) -> dict:
    key = (str(gold), limit)
    if cache and cache.exists():
        with open(cache, "rb") as f:
            obj = pickle.load(f)
        if obj.get("key") == key:
            print(f"dataset from cache {cache}", flush=True)
            return obj["data"]
    t0 = time.perf_counter()
    data = build(gold, limit)
    print(f"dataset built in {time.perf_counter() - t0:.0f} s", flush=True)
    if cache:
        with open(cache, "wb") as f:
            pickle.dump({"key": key, "data": data}, f)
    return data


# ---------------------------------------------------------------------------- metrics
def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the P/R curve as the mean of precision at each positive (ranked by score)."""
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    ys = y[order]
    prec = np.cumsum(ys) / np.arange(1, len(ys) + 1)
    return float((prec * ys).sum() / n_pos)


def prf(y: np.ndarray, s: np.ndarray, thr: float = 0.5) -> tuple[float, float, float]:
    pred = s >= thr
    tp = float((pred & (y > 0)).sum())
    p = tp / pred.sum() if pred.sum() else 0.0
    r = tp / y.sum() if y.sum() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


# ----------------------------------------------------------------------------- models
def cue_text(text: str, cues: list[str]) -> str:
    return text + ("".join(f" cue_{c}" for c in cues) if cues else "")


def textcat_nlp(width: int, depth: int, embed_size: int):
    import spacy
    nlp = spacy.blank("en")
    model = {
        "@architectures": "spacy.TextCatCNN.v2",
        "exclusive_classes": False,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": width,
            "depth": depth,
            "embed_size": embed_size,
            "window_size": 1,
            "maxout_pieces": 3,
            "subword_features": True,
        },
    }
    tc = nlp.add_pipe("textcat_multilabel", config={"model": model, "threshold": 0.5})
    for lab in LABELS:
        tc.add_label(lab)
    return nlp


def train_textcat(texts: list[str], y: np.ndarray, args, seed: int):
    import spacy
    from spacy.training import Example
    from spacy.util import minibatch

    spacy.util.fix_random_seed(seed)
    nlp = textcat_nlp(args.width, args.depth, args.embed_size)
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": {lab: float(v) for lab, v in zip(LABELS, row)}})
                for t, row in zip(texts, y)]
    opt = nlp.initialize(lambda: examples[:500], sgd=None)
    opt.learn_rate = args.lr
    rng = random.Random(seed)
    for ep in range(args.epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        t0 = time.perf_counter()
        for batch in minibatch(examples, size=args.batch):
            nlp.update(batch, sgd=opt, drop=args.dropout, losses=losses)
        print(f"    textcat epoch {ep + 1}/{args.epochs}: loss {losses.get('textcat_multilabel', 0):.3f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return nlp


# ------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--k", type=int, default=5, help="number of contract-level folds")
    ap.add_argument("--folds", default=None, help="comma-separated folds to evaluate (default: all k)")
    ap.add_argument("--limit-contracts", type=int, default=None)
    ap.add_argument("--cache", type=Path, default=None, help="pickle the segment dataset here / reuse it")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--embed-size", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-textcat", action="store_true", help="linear model only")
    args = ap.parse_args(argv)

    data = load_data(args.gold, args.limit_contracts, args.cache)
    texts, cues, rows, y = data["texts"], data["cues"], data["rows"], data["y"]
    fold = np.array([fold_of_id(c, args.k) for c in data["cid"]], dtype=np.int64)
    folds = [int(f) for f in args.folds.split(",")] if args.folds else list(range(args.k))
    words = np.array([len(t.split()) for t in texts], dtype=np.int64)
    print(f"contracts {len(data['ids'])} (held-back slice excluded), segments {len(texts)}, "
          f"words {int(words.sum())}, positives "
          + ", ".join(f"{lab}={int(y[:, j].sum())}" for j, lab in enumerate(LABELS)), flush=True)
    print(f"k={args.k}, evaluated folds {folds}; textcat: TextCatCNN.v2 / HashEmbedCNN.v2 width={args.width} "
          f"depth={args.depth} embed_size={args.embed_size}, epochs={args.epochs} batch={args.batch} "
          f"dropout={args.dropout} lr={args.lr} seed={args.seed}", flush=True)

    models = ["linear"] + ([] if args.no_textcat else ["textcat"])
    scores = {m: np.zeros(y.shape, dtype=np.float64) for m in models}
    evaluated = np.zeros(len(texts), dtype=bool)
    train_s = {m: [] for m in models}
    infer_cpu = {"linear": 0.0, "textcat": 0.0, "textcat_model": 0.0}
    for f in folds:
        tr = np.flatnonzero(fold != f)
        te = np.flatnonzero(fold == f)
        evaluated[te] = True
        print(f"fold {f}: train {len(tr)} segments, test {len(te)} segments ({int(words[te].sum())} words)",
              flush=True)
        # (a) linear, as train.train does
        t0 = time.perf_counter()
        lin = K.fit([rows[i] for i in tr], y[tr], LABELS)
        train_s["linear"].append(time.perf_counter() - t0)
        c0 = time.process_time()
        p = lin.predict_rows([K.features(texts[i], cues[i]) for i in te])
        infer_cpu["linear"] += time.process_time() - c0
        scores["linear"][te] = p
        print(f"  linear trained in {train_s['linear'][-1]:.0f} s", flush=True)
        if args.no_textcat:
            continue
        # (b) textcat
        t0 = time.perf_counter()
        nlp = train_textcat([cue_text(texts[i], cues[i]) for i in tr], y[tr], args, args.seed + f)
        train_s["textcat"].append(time.perf_counter() - t0)
        print(f"  textcat trained in {train_s['textcat'][-1]:.0f} s", flush=True)
        te_texts = [cue_text(texts[i], cues[i]) for i in te]
        c0 = time.process_time()
        docs = list(nlp.pipe(te_texts, batch_size=128))
        infer_cpu["textcat"] += time.process_time() - c0
        scores["textcat"][te] = [[d.cats[lab] for lab in LABELS] for d in docs]
        tc = nlp.get_pipe("textcat_multilabel")
        pre = [nlp.make_doc(t) for t in te_texts]
        c0 = time.process_time()
        for _ in tc.pipe(pre, batch_size=128):
            pass
        infer_cpu["textcat_model"] += time.process_time() - c0

    ev = np.flatnonzero(evaluated)
    n_words = int(words[ev].sum())
    print(f"\npooled over folds {folds}: {len(ev)} segments, {n_words} words, "
          + ", ".join(f"{lab}={int(y[ev, j].sum())} pos" for j, lab in enumerate(LABELS)))
    print(f"{'label':<12}{'model':<9}{'AP':>7}{'P@.5':>7}{'R@.5':>7}{'F1@.5':>7}")
    for j, lab in enumerate(LABELS):
        for m in models:
            s = scores[m][ev, j]
            yy = y[ev, j]
            p, r, f1 = prf(yy, s)
            print(f"{lab:<12}{m:<9}{average_precision(yy, s):7.3f}{p:7.3f}{r:7.3f}{f1:7.3f}")
    for m in models:
        aps = [average_precision(y[ev, j], scores[m][ev, j]) for j in range(len(LABELS))]
        print(f"{'macro':<12}{m:<9}{np.nanmean(aps):7.3f}")
    print("\ntraining time per fold (wall s, one core): "
          + "; ".join(f"{m} " + ", ".join(f"{t:.0f}" for t in train_s[m]) for m in models))
    print("inference speed (words per CPU-second, process_time):")
    print(f"  linear (features + predict_rows): {n_words / max(infer_cpu['linear'], 1e-9):,.0f}")
    if not args.no_textcat:
        print(f"  textcat end-to-end (make_doc + textcat): {n_words / max(infer_cpu['textcat'], 1e-9):,.0f}")
        print(f"  textcat model only (pre-tokenised Docs): {n_words / max(infer_cpu['textcat_model'], 1e-9):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
