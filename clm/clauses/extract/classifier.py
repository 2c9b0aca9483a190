"""A small linear sentence classifier that ranks candidate segments by clause type.

Features are hashed word unigrams and bigrams of a segment plus the cue labels the rule
tagger gave it; one logistic regression per label (numpy only, no extra dependency).
The model is trained on CUAD clause spans by ``python -m clm.clauses.extract.train`` and
shipped as ``model/clauses.json`` (package data); it is loaded lazily, once per process.
Without the file, extraction runs on the rules alone.
"""
from __future__ import annotations

import base64
import functools
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Label -> the CUAD category whose clause spans make a segment positive.
LABELS: dict[str, str] = {
    "tfc": "Termination For Convenience",
    "renewal": "Renewal Term",
    "non_renewal": "Notice Period To Terminate Renewal",
    "term": "Expiration Date",
    "law": "Governing Law",
}
#: Hashed feature space (2**18 buckets).
N_BITS = 18
MODEL_PATH = Path(__file__).resolve().parent / "model" / "clauses.json"
FORMAT = "clm-linear-v1"

_TOKEN = re.compile(r"[a-z]+|\d+|\[\s*\*|\*\s*\]")
_MASK = (1 << N_BITS) - 1


def tokens(text: str) -> list[str]:
    """Return the lower-cased word tokens of ``text``; every number becomes "0"."""
    return ["0" if t[0].isdigit() else ("*" if "*" in t else t) for t in _TOKEN.findall(text.lower())]


def features(text: str, cues: Iterable[str] = ()) -> np.ndarray:
    """Return the sorted unique hashed feature ids of one segment."""
    toks = tokens(text)
    grams = [t.encode() for t in toks]
    grams += [f"{a} {b}".encode() for a, b in zip(toks, toks[1:])]
    grams += [f"#cue={c}".encode() for c in cues]
    grams.append(b"#bias-free")                       # every row has at least one feature
    if len(toks) < 12:
        grams.append(b"#short")
    return np.unique(np.fromiter((zlib.crc32(g) & _MASK for g in grams), dtype=np.int64, count=len(grams)))


class SentenceClassifier:
    """One logistic regression per label over hashed features."""

    def __init__(self, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels = list(labels)
        self.weights = np.asarray(weights, dtype=np.float32)     # (2**N_BITS, n_labels)
        self.bias = np.asarray(bias, dtype=np.float32)            # (n_labels,)
        if self.weights.shape != (1 << N_BITS, len(self.labels)) or self.bias.shape != (len(self.labels),):
            raise ValueError("weights/bias do not match the labels and feature space")

    def predict_rows(self, rows: Sequence[np.ndarray]) -> np.ndarray:
        """Return (n_rows, n_labels) probabilities for rows of feature ids."""
        if not rows:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        idx = np.concatenate(rows)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        z = np.add.reduceat(self.weights[idx], starts, axis=0) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def predict(self, texts: Sequence[str], cues: Sequence[Iterable[str]] | None = None) -> list[dict[str, float]]:
        """Return one {label: probability} dict per text."""
        cues = cues if cues is not None else [()] * len(texts)
        probs = self.predict_rows([features(t, c) for t, c in zip(texts, cues)])
        return [dict(zip(self.labels, map(float, p))) for p in probs]

    # -------------------------------------------------------------------- persistence
    def to_json(self) -> dict[str, Any]:
        """Return a compact JSON-able form: only non-zero rows, float16, base64."""
        rows = np.flatnonzero(np.any(np.abs(self.weights) >= 1e-3, axis=1)).astype(np.uint32)
        w = self.weights[rows].astype(np.float16)
        return {"format": FORMAT, "n_bits": N_BITS, "labels": self.labels,
                "bias": [round(float(b), 6) for b in self.bias],
                "rows": base64.b64encode(rows.tobytes()).decode("ascii"),
                "weights": base64.b64encode(w.tobytes()).decode("ascii")}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> SentenceClassifier:
        """Rebuild a classifier from :meth:`to_json` output."""
        if obj.get("format") != FORMAT or obj.get("n_bits") != N_BITS:
            raise ValueError(f"unsupported model format: {obj.get('format')!r}/{obj.get('n_bits')!r}")
        labels = obj["labels"]
        rows = np.frombuffer(base64.b64decode(obj["rows"]), dtype=np.uint32)
        w = np.frombuffer(base64.b64decode(obj["weights"]), dtype=np.float16).reshape(len(rows), len(labels))
        weights = np.zeros((1 << N_BITS, len(labels)), dtype=np.float32)
        weights[rows.astype(np.int64)] = w.astype(np.float32)
        return cls(labels, weights, np.asarray(obj["bias"], dtype=np.float32))

    def save(self, path: Path) -> None:
        """Write the model as JSON (the format package data ships)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SentenceClassifier:
        """Read a model written by :meth:`save`."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def fit(rows: Sequence[np.ndarray], y: np.ndarray, labels: Sequence[str], *, l2: float = 1e-4,
        epochs: int = 300, lr: float = 0.1, pos_weight: float = 2.0) -> SentenceClassifier:
    """Fit one L2-regularised logistic regression per label by full-batch Adam.

    ``rows`` are feature-id arrays (from :func:`features`), ``y`` an (n, n_labels) 0/1 matrix.
    Deterministic: no random initialisation or sampling.
    """
    n, k = y.shape
    d = 1 << N_BITS
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
    idx = np.concatenate(rows)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    row_of = np.repeat(np.arange(n), lengths)
    y = y.astype(np.float32)
    sw = np.where(y > 0, pos_weight, 1.0).astype(np.float32)     # rare positives weigh more
    norm = sw.sum(axis=0)
    w = np.zeros((d, k), dtype=np.float32)
    b = np.zeros(k, dtype=np.float32)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = np.add.reduceat(w[idx], starts, axis=0) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        err = (p - y) * sw / norm                                  # (n, k)
        g_w = np.stack([np.bincount(idx, weights=err[row_of, j], minlength=d) for j in range(k)],
                       axis=1).astype(np.float32)
        g_w += l2 * w
        g_b = err.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
        w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= lr * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
    return SentenceClassifier(labels, w, b)


# ------------------------------------------------------------------------ the active model
_override: list[SentenceClassifier | None] = []


@functools.lru_cache(maxsize=1)
def _load_default() -> SentenceClassifier | None:
    if not MODEL_PATH.exists():
        return None
    return SentenceClassifier.load(MODEL_PATH)


def active() -> SentenceClassifier | None:
    """Return the classifier extraction uses: an override (see :func:`use`) or the shipped model."""
    if _override:
        return _override[-1]
    return _load_default()


class use:
    """Context manager: extract with ``model`` (None = rules only) instead of the shipped model."""

    def __init__(self, model: SentenceClassifier | None) -> None:
        self.model = model

    def __enter__(self) -> SentenceClassifier | None:
        _override.append(self.model)
        return self.model

    def __exit__(self, *exc: object) -> None:
        _override.pop()
