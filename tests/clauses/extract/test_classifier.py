"""The sentence classifier: features, fitting, persistence, how extraction uses it, training data."""
from __future__ import annotations

import importlib.util
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from clm.clauses.extract import classifier as K
from clm.clauses.extract import extract
from clm.clauses.extract import fields as F
from clm.clauses.extract import train as T

ROOT = Path(__file__).resolve().parents[3]


def _feature_id(gram: str) -> int:
    return zlib.crc32(gram.encode()) & ((1 << K.N_BITS) - 1)


def _model(label_weights: dict[str, dict[str, float]], bias: dict[str, float] | None = None) -> K.SentenceClassifier:
    """A hand-set model: per label, weights on given unigrams/bigrams."""
    labels = list(K.LABELS)
    w = np.zeros((1 << K.N_BITS, len(labels)), dtype=np.float32)
    for j, lab in enumerate(labels):
        for gram, v in label_weights.get(lab, {}).items():
            w[_feature_id(gram), j] = v
    b = np.array([(bias or {}).get(lab, -8.0) for lab in labels], dtype=np.float32)
    return K.SentenceClassifier(labels, w, b)


def test_tokens_fold_numbers_and_case() -> None:
    assert K.tokens("Upon Thirty (30) days' notice [***]") == ["upon", "thirty", "0", "days", "notice", "*", "*"]


def test_features_are_deterministic_and_include_bigrams_and_cues() -> None:
    a = K.features("may terminate for convenience")
    assert np.array_equal(a, K.features("may terminate for convenience"))
    assert _feature_id("terminate for") in set(a.tolist())
    assert not np.array_equal(a, K.features("may terminate for convenience", {"terminate"}))
    assert np.all(np.diff(a) > 0)                      # sorted, unique


def test_fit_separates_a_toy_problem() -> None:
    pos = ["either party may terminate this agreement for convenience",
           "licensee may terminate for convenience on notice"]
    neg = ["this agreement is governed by the laws of delaware", "fees are payable monthly in advance",
           "the supplier shall deliver the products", "notices shall be in writing"]
    rows = [K.features(t) for t in pos + neg]
    y = np.zeros((len(rows), len(K.LABELS)), dtype=np.float32)
    y[:2, list(K.LABELS).index("tfc")] = 1
    model = K.fit(rows, y, list(K.LABELS), epochs=100)
    p = model.predict(["the customer may terminate for convenience", "governed by the laws of new york"])
    assert p[0]["tfc"] > 0.5 > p[1]["tfc"]


def test_json_round_trip_keeps_predictions(tmp_path: Path) -> None:
    model = _model({"tfc": {"convenience": 9.0}, "renewal": {"renew": 4.0}})
    path = tmp_path / "m.json"
    model.save(path)
    again = K.SentenceClassifier.load(path)
    texts = ["terminate for convenience", "shall renew automatically", "nothing here"]
    assert np.allclose(model.predict_rows([K.features(t) for t in texts]),
                       again.predict_rows([K.features(t) for t in texts]), atol=1e-3)


def test_from_json_rejects_another_format() -> None:
    obj = _model({}).to_json()
    obj["format"] = "something-else"
    with pytest.raises(ValueError, match="unsupported model format"):
        K.SentenceClassifier.from_json(obj)


def test_shipped_model_is_small_and_loaded_once() -> None:
    assert K.MODEL_PATH.exists()
    assert K.MODEL_PATH.stat().st_size < 5_000_000
    assert json.loads(K.MODEL_PATH.read_text(encoding="utf-8"))["labels"] == list(K.LABELS)
    assert K.active() is K.active() is not None


def test_use_overrides_the_shipped_model_and_restores_it() -> None:
    shipped = K.active()
    with K.use(None):
        assert K.active() is None
    assert K.active() is shipped


SCANSOURCE_LIKE = ("SOFTWARE LICENSE\n\nThis Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
                   "Customer may terminate this Agreement and the license at any time by destroying all copies "
                   "of the Software.\n")


def test_classifier_adds_a_convenience_right_the_rules_miss() -> None:
    with K.use(None):
        assert "termination_for_convenience" not in extract(SCANSOURCE_LIKE).fields
    with K.use(_model({"tfc": {"destroying": 20.0}})):
        ex = extract(SCANSOURCE_LIKE)
    assert ex.fields["termination_for_convenience"] is True
    (s, e), = ex.evidence["termination_for_convenience"]
    assert SCANSOURCE_LIKE[s:e].startswith("Customer may terminate")


def test_classifier_does_not_add_a_for_cause_right() -> None:
    text = SCANSOURCE_LIKE.replace("by destroying", "if the other party is in breach, by destroying")
    with K.use(_model({"tfc": {"destroying": 20.0}})):
        assert "termination_for_convenience" not in extract(text).fields


WEAK = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
        "Either party may terminate this Agreement upon thirty (30) days written notice to the other party.\n\n"
        "Beta may terminate this Agreement for convenience upon ninety (90) days written notice.\n")


def test_ranking_picks_the_likelier_sentence_and_veto_drops_weak_hits() -> None:
    with K.use(None):                                  # rules alone: the strong hit ranks first
        ex = extract(WEAK)
    assert ex.fields["termination_notice"] == "P90D"
    with K.use(_model({"tfc": {"thirty": 20.0}})):     # the model prefers the weak sentence
        assert extract(WEAK).fields["termination_notice"] == "P30D"
    with K.use(_model({}, {"tfc": -20.0})):            # model: neither is likely; the weak one is vetoed
        ex = extract(WEAK)
    s, e = ex.evidence["termination_for_convenience"][0]
    assert "for convenience" in WEAK[s:e]


def test_renewal_candidates_follow_the_model() -> None:
    text = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "The Agreement may be renewed for one additional year by mutual written agreement of the parties.\n\n"
            "Beta has an extension right for a further two (2) years.\n")
    with K.use(None):
        assert "auto_renewal" not in extract(text).fields
    with K.use(_model({"renewal": {"extension right": 20.0}})):
        ex = extract(text)
    assert ex.fields["auto_renewal"] is True
    assert ex.fields["renewal_term"] == "P2Y"


def test_optional_renewal_gives_a_renewal_term_not_an_automatic_renewal() -> None:
    text = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "Customer may, at its option, renew this Agreement for one (1) twelve month period at the then-current "
            "terms.\n")
    with K.use(None):                                  # rules alone: an option is no automatic renewal
        assert "renewal_term" not in extract(text).fields
    # the model leans to a renewal term (p ~ 0.65): enough for its length, not for an automatic renewal
    with K.use(_model({"renewal": {"its option": 8.6}})):
        ex = extract(text)
    assert ex.fields["renewal_term"] == "P12M"
    assert "auto_renewal" not in ex.fields
    s, e = ex.evidence["renewal_term"][0]
    assert text[s:e].startswith("Customer may, at its option")
    assert ex.confidence["renewal_term"] < 0.85        # lower than a renewal the rules read
    with K.use(_model({}, {"renewal": -20.0})):                                   # the model does not read it as a renewal term
        assert "renewal_term" not in extract(text).fields


def test_mutual_renewal_gives_no_renewal_term_even_with_the_model() -> None:
    text = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "This Agreement may be renewed for an additional one year term upon mutual written agreement of the "
            "Parties.\n")
    with K.use(_model({"renewal": {"renewed": 20.0}})):
        ex = extract(text)
    assert "renewal_term" not in ex.fields and "auto_renewal" not in ex.fields


def test_term_sentence_the_rules_score_low_counts_with_the_model() -> None:
    text = ("This Agreement is made as of January 1, 2010 between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "The services will continue for three (3) years.\n")
    with K.use(None):
        assert "initial_term" not in extract(text).fields
    with K.use(_model({"term": {"continue for": 20.0}})):
        ex = extract(text)
    assert ex.fields["initial_term"] == "P3Y"
    assert ex.fields["expiration_date"] == "2013-01-01"


# ----------------------------------------------------------------------------- training data
def _seg(start: int, end: int) -> F.Seg:
    return F.Seg(start, end, "x" * (end - start), set(), [], [], [], [])


def test_segment_labels_mark_overlapping_segments() -> None:
    segs = [_seg(0, 10), _seg(10, 20), _seg(20, 30)]
    y = T.segment_labels(segs, {"tfc": [(12, 25)], "renewal": [(30, 40)]}, ["tfc", "renewal"])
    assert y[:, 0].tolist() == [0, 1, 1]
    assert y[:, 1].tolist() == [0, 0, 0]                # touching at the end is not overlap


def test_gold_spans_add_every_occurrence_of_ambiguous_pieces() -> None:
    text = "Term. one year. Term. one year."
    cat = {"clauses": [{"text": "one year", "spans": [[6, 14]], "ambiguous": True},
                       {"text": "Term.", "spans": [[0, 5]], "ambiguous": False}]}
    assert T.gold_spans(text, cat) == [(0, 5), (6, 14), (22, 30)]


def test_build_dataset_and_train_on_a_tiny_split(tmp_path: Path) -> None:
    text = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "Either party may terminate this Agreement for convenience upon thirty (30) days notice.\n\n"
            "This Agreement shall be governed by the laws of New York.\n")
    start = text.index("Either")
    cats = {cat: {"present": False, "answer": None, "clauses": []} for cat in K.LABELS.values()}
    cats["Termination For Convenience"] = {"present": True, "answer": "Yes", "clauses": [
        {"text": "x", "spans": [[start, start + 20]], "ambiguous": False}]}
    (tmp_path / "contracts.jsonl").write_text(json.dumps({"id": "c1", "text": text}) + "\n", encoding="utf-8")
    (tmp_path / "labels.jsonl").write_text(json.dumps({"id": "c1", "categories": cats}) + "\n", encoding="utf-8")
    data = T.build_dataset(T.load_contracts(tmp_path))
    assert data.ids == ["c1"] and data.y[:, 0].sum() == 1
    assert T.main(["--gold", str(tmp_path), "--out", str(tmp_path / "model")]) == 0
    model = K.SentenceClassifier.load(tmp_path / "model" / K.MODEL_PATH.name)
    p = model.predict(["Either party may terminate this Agreement for convenience upon thirty (30) days notice."])
    assert p[0]["tfc"] > 0.5


def test_benchmark_folds_are_stable_and_in_range() -> None:
    spec = importlib.util.spec_from_file_location("bench_extraction", ROOT / "benchmarks" / "extraction.py")
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)
    folds = [bench.fold_of_id(f"contract-{i}", 5) for i in range(200)]
    assert set(folds) == set(range(5))
    assert folds == [bench.fold_of_id(f"contract-{i}", 5) for i in range(200)]


# ----------------------------------------------------------------------------- the held-back slice
def test_heldback_slice_is_a_stable_fifth_by_id_hash() -> None:
    ids = [f"contract-{i}" for i in range(2000)]
    held = [T.heldback(i) for i in ids]
    assert held == [T.heldback(i) for i in ids]
    assert 0.17 < sum(held) / len(ids) < 0.23
    assert T.heldback("c1") is False and T.heldback("c10") is True    # int(sha1[:8], 16) % 100: 77 and 2


def test_training_never_reads_the_heldback_slice(tmp_path: Path) -> None:
    text = ("This Agreement is made between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n\n"
            "Either party may terminate this Agreement for convenience upon thirty (30) days notice.\n")
    start = text.index("Either")
    cats = {cat: {"present": False, "answer": None, "clauses": []} for cat in K.LABELS.values()}
    tfc = {"present": True, "answer": "Yes", "clauses": [{"text": "x", "spans": [[start, start + 20]], "ambiguous": False}]}
    with open(tmp_path / "contracts.jsonl", "w", encoding="utf-8") as c, \
            open(tmp_path / "labels.jsonl", "w", encoding="utf-8") as lab:
        for cid in ("c10", "c1"):                      # c10 is held back, c1 is not
            c.write(json.dumps({"id": cid, "text": text}) + "\n")
            lab.write(json.dumps({"id": cid, "categories": {**cats, "Termination For Convenience": tfc}}) + "\n")
    assert T.dev_ids(tmp_path) == ["c1"] and T.dev_ids(tmp_path, held=True) == ["c10"]
    seen: list[list[str]] = []
    real = T.build_dataset
    T.build_dataset = lambda contracts, *a, **k: (seen.append([c.id for c in contracts]), real(contracts, *a, **k))[1]
    try:
        assert T.main(["--gold", str(tmp_path), "--out", str(tmp_path / "model")]) == 0
    finally:
        T.build_dataset = real
    assert seen == [["c1"]]


# ----------------------------------------------------------------------------- governing law
def test_governing_law_read_from_a_law_adjective_only_before_law() -> None:
    with K.use(None):
        ex = extract("This Agreement is governed by English law and the parties submit to the English courts.\n")
        assert ex.fields["governing_law"] == "England and Wales"
        ex = extract("This Agreement is written in the English language and governed by the laws of the State of "
                     "Delaware.\n")
        assert ex.fields["governing_law"] == "Delaware"


def test_classifier_admits_a_governing_law_sentence_no_cue_matched() -> None:
    text = "This AGREEMENT is controlled by the laws of the State of Texas, and venue lies in Pecos County.\n"
    with K.use(None):
        assert "governing_law" not in extract(text).fields
    with K.use(_model({"law": {"controlled by": 20.0}})):
        ex = extract(text)
    assert ex.fields["governing_law"] == "Texas"
    assert ex.evidence["governing_law"] == [(0, len(text) - 1)]
    with K.use(_model({"law": {"controlled by": 20.0}})):     # the value still needs a place after "law"
        assert "governing_law" not in extract("This AGREEMENT is controlled by its own terms and the law.\n").fields


def test_party_miss_counter_tells_collective_phrases_from_names() -> None:
    spec = importlib.util.spec_from_file_location("bench_party_misses", ROOT / "benchmarks" / "party_misses.py")
    pm = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(pm)
    for phrase in ("Company and Consultant", "each Party or any of its Affiliates", "Gingko and BLI",
                   "the Parties"):
        assert pm.collective(phrase), phrase
    for name in ("Acme Inc.", "Alamogordo Federal Savings and Loan Association", "Playa Hotels & Resorts, B.V.",
                 "Centre for Probe Development and Commercialization", "Beta LLC"):
        assert not pm.collective(name), name


def test_benchmark_reads_the_heldback_slice_or_the_rest(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_extraction_load", ROOT / "benchmarks" / "extraction.py")
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)
    path = tmp_path / "contracts.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "text": "x"}) + "\n" for i in range(40)), encoding="utf-8")
    held = [r["id"] for r in bench.load(path, None, held=True)]
    rest = [r["id"] for r in bench.load(path, None)]
    assert held and rest and not set(held) & set(rest) and len(held) + len(rest) == 40
    assert all(T.heldback(i) for i in held) and not any(T.heldback(i) for i in rest)
    assert [r["id"] for r in bench.load(path, 2, held=True)] == held[:2]
