"""Tests for clm.clauses.match: classification, standard/fallback/non-standard matching, analysis.

Built from the clause library itself: every position of every clause type, filled with values.
"""

from __future__ import annotations

import re

import pytest

from clm.clauses.drafting import draft_docx
from clm.clauses.library import (
    ClauseType,
    Library,
    assemble,
    default_library_path,
    load_library,
    render_text,
)
from clm.clauses.match import CLASSIFY_MIN_SCORE, analyze, classify, match
from clm.clauses.segment import Clause
from clm.documents import from_docx, from_text

LIBRARY = load_library(default_library_path())
POSITIONS = [(key, p.rank) for key, c in LIBRARY.clauses.items() for p in c.positions]

#: A value of each type, different from the library's defaults so nothing passes by accident.
SAMPLE = {
    "duration": "P45D",
    "money": "EUR 250,000",
    "percentage": "7.5",
    "integer": 4,
    "date": "2026-06-01",
    "jurisdiction": "New York",
    "party": "Acme Widgets LLC",
    "text": "the European Union",
}
#: Other values of each type, written differently, that must match just as well.
OTHER = {
    "duration": "ten (10) business days",
    "money": "$1,250.50",
    "percentage": "12%",
    "integer": "1,200",
    "date": "December 31, 2027",
    "jurisdiction": "England and Wales",
    "party": "Zeta & Sons <b>Ltd</b>",
    "text": "Canada or Mexico",
}


@pytest.fixture(scope="module")
def library() -> Library:
    return LIBRARY


def filled(clause: ClauseType, rank: int, sample: dict[str, object] = SAMPLE) -> str:
    # Distinct jurisdictions per variable, so "the laws of X, courts of Y" is really filled in.
    # Fixed variables (Provider's own law and courts) keep their one value.
    values = {}
    for k, (name, variable) in enumerate(sorted(clause.variables.items())):
        if variable.fixed:
            continue
        values[name] = sample[variable.type]
        if variable.type == "jurisdiction":
            values[name] = ["New York", "Ontario", "Quebec"][k % 3]
    return render_text(clause.position(rank).text, clause.variables, values)


def expected_rank(clause: ClauseType, rank: int) -> int:
    """Return the rank a filled position must match: its own (the loader refuses positions that
    read the same once filled in, so a contract can always say which one it has)."""
    return rank


@pytest.mark.parametrize(("key", "rank"), POSITIONS)
def test_each_filled_position_matches_as_itself(library: Library, key: str, rank: int) -> None:
    clause = library.clause(key)
    text = filled(clause, rank)
    result = match(text, clause)
    want = expected_rank(clause, rank)
    assert result.position_rank == want
    assert result.status == ("standard" if want == 0 else "fallback")
    assert result.similarity == 1.0
    assert result.nearest_position == want
    assert all(op == "equal" for op, _ in result.ops)
    assert "".join(t for _, t in result.ops) == text


@pytest.mark.parametrize(("key", "rank"), POSITIONS)
def test_other_values_written_other_ways_still_match(library: Library, key: str, rank: int) -> None:
    clause = library.clause(key)
    result = match(filled(clause, rank, OTHER), clause)
    assert result.position_rank == expected_rank(clause, rank)


def test_values_are_read_back_as_written(library: Library) -> None:
    clause = library.clause("term_and_renewal")
    text = render_text(clause.standard.text, clause.variables, {"initial_term": "P2Y", "renewal_term": "P1Y",
                                                                 "renewal_notice_period": "P60D"})
    values = dict(match(text, clause).values)
    assert values["initial_term"] == "two (2) years"
    assert values["renewal_notice_period"] == "sixty (60) days"


def test_layout_differences_do_not_matter(library: Library) -> None:
    clause = library.clause("governing_law")
    text = filled(clause, 0).replace('"', "\u201c").replace(" ", "  ")
    wrapped = "12.3 " + re.sub(r"(\S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+) ", r"\1\n", text).upper()
    assert match(wrapped, clause).status == "standard"


def meaningful_edit(text: str) -> tuple[str, str]:
    """Return (edited text, the word replaced): a long word in the middle becomes another word."""
    words = [m for m in re.finditer(r"\b[a-z]{6,}\b", text)]
    target = words[len(words) // 2]
    return text[: target.start()] + "unicorn" + text[target.end() :], target.group(0)


@pytest.mark.parametrize("key", sorted(LIBRARY.clauses))
def test_a_meaningful_edit_is_nonstandard_with_a_redline(library: Library, key: str) -> None:
    clause = library.clause(key)
    approved = filled(clause, 0)
    edited, word = meaningful_edit(approved)
    result = match(edited, clause)
    assert result.status == "nonstandard"
    assert result.position_rank is None
    assert result.nearest_position == expected_rank(clause, 0)
    assert 0.9 <= result.similarity < 1.0
    # The redline runs from the approved text (with the clause's values) to the clause.
    assert "".join(t for op, t in result.ops if op != "insert") == approved
    assert "".join(t for op, t in result.ops if op != "delete") == edited
    assert any(op == "delete" and word in t for op, t in result.ops)
    assert any(op == "insert" and "unicorn" in t for op, t in result.ops)


def test_edited_fallback_is_nearest_to_that_fallback(library: Library) -> None:
    clause = library.clause("limitation_of_liability")
    text = filled(clause, 2).replace("Each party's total liability", "Customer's total liability")
    result = match(text, clause)
    assert (result.status, result.nearest_position) == ("nonstandard", 2)


def test_a_variable_does_not_swallow_extra_words(library: Library) -> None:
    clause = library.clause("fees_and_payment")
    text = filled(clause, 0).replace("forty-five (45) days of the invoice date",
                                     "forty-five (45) days after receipt of a correct invoice")
    assert "after receipt" in text
    result = match(text, clause)
    assert result.status == "nonstandard"
    assert any(op == "insert" and "receipt" in t for op, t in result.ops)


def test_an_unrelated_text_is_nonstandard_and_far(library: Library) -> None:
    result = match("The parties will meet every quarter to review the roadmap.", library.clause("insurance"))
    assert result.status == "nonstandard"
    assert result.similarity < 0.3


@pytest.mark.parametrize(("key", "rank"), POSITIONS)
def test_each_library_text_classifies_as_its_own_type(library: Library, key: str, rank: int) -> None:
    ranked = classify(filled(library.clause(key), rank), library)
    assert ranked[0][0] == key
    assert len(ranked) == len(library.clauses)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


@pytest.mark.parametrize(("heading", "key"), [
    ("Governing Law", "governing_law"),
    ("INDEMNIFICATION", "indemnity"),
    ("Limitation of Liability", "limitation_of_liability"),
    ("Non-Solicitation of Employees", "non_solicitation"),
    ("Force Majeure", "force_majeure"),
])
def test_a_heading_names_the_type(library: Library, heading: str, key: str) -> None:
    body = "The parties agree to the following terms, which apply as set out below."
    clause = Clause(heading, 0, len(body), body, 1, "9", 0)
    assert classify(clause, library)[0][0] == key


def test_classify_works_without_a_library_argument() -> None:
    assert classify("This Agreement is governed by the laws of the State of New York.")[0][0] == "governing_law"


@pytest.mark.parametrize(("text", "key"), [
    ("Neither party may assign this Agreement without the prior written consent of the other party.", "assignment"),
    ("Licensee shall maintain general liability insurance of not less than $1,000,000 per occurrence.", "insurance"),
    ("IN NO EVENT SHALL EITHER PARTY BE LIABLE FOR ANY CONSEQUENTIAL DAMAGES OR LOST PROFITS.",
     "limitation_of_liability"),
    (("This Agreement shall automatically renew for successive one-year periods unless either party gives "
      "notice of non-renewal."), "term_and_renewal"),
])
def test_other_peoples_wording_classifies(library: Library, text: str, key: str) -> None:
    assert classify(text, library)[0][0] == key


# --------------------------------------------------------------------------- analyze

MSA_VALUES = {
    "customer_name": "Acme Widgets LLC",
    "customer_description": "a New York limited liability company",
    "effective_date": "2026-06-01",
    "price_increase_cap": "5%",
    "include_insurance": True,
    "customer_may_terminate_for_convenience": True,
    "include_arbitration": True,
}


def expected_positions(library: Library, values: dict[str, object]) -> dict[str, int]:
    template = library.template("master_subscription_agreement")
    return {s.clause_type: s.position for s in assemble(template, library, values)
            if s.clause_type and s.position is not None}


def test_a_drafted_contract_is_all_standard(library: Library) -> None:
    template = library.template("master_subscription_agreement")
    document = from_docx(draft_docx(template, library, MSA_VALUES))
    wanted = expected_positions(library, MSA_VALUES)
    analysis = analyze(document, library, expected=set(wanted) | {"audit"})
    got = {c.clause_type: c.match.position_rank for c in analysis.clauses if c.clause_type and c.match}
    assert got == wanted
    assert analysis.deviations == ()
    assert analysis.missing == ("audit",)  # include_security_audits was left off
    for c in analysis.clauses:
        if c.clause_type:
            assert c.score >= CLASSIFY_MIN_SCORE
            assert document.text[c.clause.start : c.clause.end] == c.clause.text


def test_a_plain_text_contract_with_one_edit(library: Library) -> None:
    template = library.template("master_subscription_agreement")
    sections = assemble(template, library, MSA_VALUES)
    parts = []
    for number, section in enumerate(sections, start=1):
        if section.heading:
            parts.append(f"{number}. {section.heading.upper()}")
        parts.append(section.text)
    text = "\n\n".join(parts).replace("Each party's total liability", "Customer's total liability")
    analysis = analyze(from_text(text), library)
    deviations = analysis.deviations
    assert [d.clause_type for d in deviations] == ["limitation_of_liability"]
    ops = deviations[0].match.ops
    assert ("delete", "Each party's") in ops or any(op == "delete" and "Each" in t for op, t in ops)
    standard = {c.clause_type for c in analysis.clauses
                if c.clause_type and c.match and c.match.status != "nonstandard"}
    assert standard == set(expected_positions(library, MSA_VALUES)) - {"limitation_of_liability"}
    assert analysis.missing == ()


def test_analyze_a_cuad_like_text_leaves_unknown_clauses_unclassified(library: Library) -> None:
    text = (
        "1. Definitions. \"Product\" means the widgets listed in Schedule A.\n"
        "2. Purchase Orders. Distributor will place purchase orders for Products each quarter.\n"
        "3. Governing Law. This Agreement shall be governed by and construed in accordance with the laws of "
        "the State of California, without regard to conflict of laws principles.\n"
    )
    analysis = analyze(from_text(text), library, expected={"governing_law", "assignment"})
    types = [c.clause_type for c in analysis.clauses]
    assert types[-1] == "governing_law"
    assert analysis.clauses[-1].match is not None and analysis.clauses[-1].match.status == "nonstandard"
    assert analysis.missing == ("assignment",)
