"""Extract renewal, termination, date, law, party and commercial terms from contract text."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clm.clauses.extract import classifier
from clm.clauses.extract import fields as F
from clm.clauses.extract import parties as P
from clm.clauses.extract import renewal as R
from clm.clauses.extract import term as T
from clm.clauses.extract import termination as X
from clm.clauses.extract.checks import check
from clm.clauses.extract.pipeline import Segment, build_nlp, candidate_segments, run

__all__ = ["MAX_SEGMENTS", "Extraction", "build_nlp", "extract", "extract_from", "segments"]


@dataclass
class Extraction:
    """Extracted fields with evidence (char offsets into the text) and confidence per field."""

    fields: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)
    #: Values computed from other fields rather than stated (an end date from a start date and a term):
    #: field -> {"computed_from": [field, ...], "start_evidence": [[start, end], ...]}.
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self, id: str) -> dict[str, Any]:
        """Return the record `clm extract` prints and score_extraction.py reads (which ignores "derived")."""
        return {
            "id": id,
            "fields": dict(self.fields),
            "evidence": {k: [[s, e] for s, e in v] for k, v in self.evidence.items()},
            "confidence": {k: round(v, 3) for k, v in self.confidence.items()},
            "derived": {k: dict(v) for k, v in self.derived.items()},
        }

    def _put(self, name: str, found: F.Found | None) -> None:
        if found is None or found.value is None:
            return
        self.fields[name] = found.value
        self.evidence[name] = [tuple(x) for x in found.evidence]  # type: ignore[misc]
        self.confidence[name] = found.confidence
        if "computed_from" in found.extra:
            self.derived[name] = {k: found.extra[k] for k in ("computed_from", "start_evidence") if k in found.extra}


#: The most candidate sentences one text is read for. A contract has a few hundred (at most 540
#: among the 351 CUAD dev contracts); a text with 10 MB of "Effective Date:" would have 600,000
#: and keep a worker busy for over a minute.
MAX_SEGMENTS = 5000
TOO_MANY_SEGMENTS = ("the text has {n:,} candidate sentences, far more than a contract has; "
                     "only the first {limit:,} were read")


def extract(text: str) -> Extraction:
    """Return the terms found in ``text``; a field appears only where the text states it."""
    if not isinstance(text, str) or not text.strip():
        return Extraction()
    found = candidate_segments(text)
    out = extract_from(text, segments(text, found))
    if len(found) > MAX_SEGMENTS:
        out.issues.append(TOO_MANY_SEGMENTS.format(n=len(found), limit=MAX_SEGMENTS))
    return out


def segments(text: str, found: list[Segment] | None = None) -> list[F.Seg]:
    """Return the candidate segments of ``text`` (the first MAX_SEGMENTS of ``found``, when given),
    tagged by the pipeline and scored by the classifier."""
    found = candidate_segments(text) if found is None else found
    segs = [F.seg_from_doc(doc) for doc in run(text, found[:MAX_SEGMENTS])]
    model = classifier.active()
    if model is not None and segs:
        probs = model.predict_rows([classifier.features(s.text, s.cats) for s in segs])
        for seg, row in zip(segs, probs):
            seg.p = dict(zip(model.labels, row.tolist()))
    return segs


def extract_from(text: str, segs: list[F.Seg]) -> Extraction:
    """Return the fields the rules read from ``segs`` (made by :func:`segments` from ``text``)."""
    out = Extraction()
    found_parties, pre_end = P.parties(text)
    agreed = T.agreement_date(text, pre_end)
    eff = T.effective_date(text, segs, agreed, pre_end)
    initial, expiration = T.term(segs, eff, agreed, text)
    auto, renewal_term, non_renewal, limit = R.renewal(segs)
    tfc, tnotice, cause, cure = X.termination(segs)
    if auto is None or renewal_term is None or non_renewal is None:
        form_auto, form_term, form_notice = R.labelled_renewal(text)
        auto, renewal_term, non_renewal = auto or form_auto, renewal_term or form_term, non_renewal or form_notice
    if renewal_term is None and initial is not None:
        # "renews for successive periods equal to the initial term": the initial term another clause states
        renewal_term = R.renewal_as_long_as_initial(segs, auto, initial)
    put = out._put
    put("parties", found_parties)
    put("agreement_date", agreed)
    put("effective_date", eff)
    put("initial_term", initial)
    put("expiration_date", expiration)
    put("auto_renewal", auto)
    put("renewal_term", renewal_term)
    put("non_renewal_notice", non_renewal)
    put("renewal_limit", limit)
    put("termination_for_convenience", tfc)
    put("termination_notice", tnotice)
    put("termination_for_cause", cause)
    put("cure_period", cure)
    put("governing_law", F.governing_law(segs))
    put("payment_terms", F.payment_terms(segs))
    put("fees", F.fees(segs))
    put("billing_frequency", F.billing_frequency(segs, text))
    put("price_increase_cap", F.price_increase_cap(segs))
    out.issues = check(out.fields)
    blank = T.blank_date(text, pre_end)
    if blank is not None and (agreed is None or agreed.evidence[0][0] >= blank[0]):
        out.issues.append(T.BLANK_AGREEMENT_DATE.format(blank=" ".join(text[blank[0]:blank[1]].split())))
    return out
