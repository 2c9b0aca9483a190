"""Each clm_ component on a blank English pipeline."""
from __future__ import annotations

import spacy
from spacy.language import Language

from clm.clauses.extract import components
from clm.clauses.extract.pipeline import PIPE_NAMES, build_nlp


def _nlp(*names: str) -> Language:
    components.register()
    nlp = spacy.blank("en")
    for name in names:
        nlp.add_pipe(name)
    return nlp


def test_register_is_idempotent() -> None:
    components.register()
    components.register()
    assert all(name in Language.factories for name in PIPE_NAMES)


def test_dates_component() -> None:
    doc = _nlp("clm_dates")("This Agreement is dated as of June 1, 2019 and ends 6/1/20.")
    spans = doc.spans[components.DATES]
    assert [s._.clm_value for s in spans] == ["2019-06-01", "2020-06-01"]
    assert spans[0].text == "June 1, 2019"


def test_durations_component() -> None:
    doc = _nlp("clm_durations")("upon thirty (30) days' notice for a term of one (1) year")
    spans = doc.spans[components.DURATIONS]
    assert [s._.clm_value for s in spans] == ["P30D", "P1Y"]
    assert spans[0]._.clm_chars == (5, 22)          # "thirty (30) days'"


def test_money_component() -> None:
    doc = _nlp("clm_money")("a monthly fee of $1,500.00 per month")
    (span,) = doc.spans[components.MONEY]
    assert span._.clm_value == (__import__("decimal").Decimal("1500.00"), "USD")


def test_jurisdictions_prefer_longest_and_skip_lowercase() -> None:
    doc = _nlp("clm_jurisdictions")(
        "governed by the laws of West Virginia, not washington or england and wales")
    values = [s._.clm_value for s in doc.spans[components.JURISDICTIONS]]
    assert values == ["West Virginia"]


def test_jurisdictions_multiword() -> None:
    doc = _nlp("clm_jurisdictions")("the laws of England and Wales apply")
    assert [s._.clm_value for s in doc.spans[components.JURISDICTIONS]] == ["England and Wales"]


def test_cue_tagger_sets_cats() -> None:
    nlp = _nlp("clm_cues")
    doc = nlp("This Agreement shall automatically renew for successive one (1) year terms.")
    assert doc.cats["renewal"] == 1.0
    assert doc.cats["governing_law"] == 0.0
    doc = nlp("This Agreement shall be governed by the laws of the State of Delaware.")
    assert doc.cats["governing_law"] == 1.0
    assert any(s.label_ == "governing_law" for s in doc.spans[components.CUES])


def test_cue_tagger_custom_patterns() -> None:
    components.register()
    nlp = spacy.blank("en")
    nlp.add_pipe("clm_cues", config={"patterns": {"escrow": r"\bescrow\b"}})
    doc = nlp("source code escrow")
    assert doc.cats["escrow"] == 1.0


def test_build_nlp_is_cached_and_complete() -> None:
    nlp = build_nlp()
    assert nlp is build_nlp()
    assert tuple(nlp.pipe_names) == PIPE_NAMES
