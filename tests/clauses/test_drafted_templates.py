"""clm's own templates read back as clm drafted them: every clause at its chosen position.

Each template is drafted with ``clm.clauses.drafting.draft_docx``, read back as an upload is read
(``clm.versions.intake.read_upload``) and analyzed with ``clm.clauses.match.analyze``. A draft with
the template's positions needs no approval whatever valid values it was given and whichever
optional sections are on; a draft with another position chosen reads as that position, and needs
approval exactly when the position is beyond the approval level.
"""

from __future__ import annotations

from clm.clauses.drafting import draft_docx
from clm.clauses.library import Library, default_library_path, load_library
from clm.clauses.match import Analysis, analyze
from clm.documents import from_docx
from clm.versions.intake import read_upload

LIBRARY = load_library(default_library_path())
#: The approval level clm ships with (CLM_APPROVAL_FALLBACK_LEVEL): fallback 1 needs no approval.
LEVEL = 1

def needs_approval(analysis: Analysis) -> list[str]:
    """Return the clauses the review would ask legal about (clm.clauses.approvals' rule)."""
    out = []
    for c in analysis.clauses:
        if c.match is None:
            continue
        if c.match.status == "nonstandard" or (c.match.status == "fallback" and c.match.position_rank > LEVEL):
            out.append(f"{c.clause_type or c.clause.heading} ({c.match.status} {c.match.position_rank})")
    return out


def read_back(data: bytes, library: Library = LIBRARY) -> Analysis:
    return analyze(read_upload(data, "draft.docx"), library)


# --------------------------------------------------------------------------- governing law


MSA = LIBRARY.template("master_subscription_agreement")
MSA_VALUES = {"customer_name": "Contoso Retail LLC", "customer_description": "a New York limited liability company",
              "effective_date": "2026-03-01"}


def governing_law(analysis: Analysis) -> tuple[str, int | None]:
    clause = next(c for c in analysis.clauses if c.clause_type == "governing_law")
    return clause.match.status, clause.match.position_rank


def test_the_customers_law_reads_as_fallback_2_and_needs_approval() -> None:
    data = draft_docx(MSA, LIBRARY, {**MSA_VALUES, "customer_governing_law": "New York"},
                      {"governing_law": "fallback_2"})
    analysis = read_back(data)
    assert governing_law(analysis) == ("fallback", 2)
    assert needs_approval(analysis) == ["governing_law (fallback 2)"]


def _governing_paragraph(text: str, old: str, new: str, count: int) -> str:
    paragraph = next(p for p in text.split("\n") if "governed by the laws of" in p)
    return text.replace(paragraph, paragraph.replace(old, new, count))


def test_the_standard_with_the_customers_law_written_in_is_fallback_2() -> None:
    from clm.documents import from_text

    text = from_docx(draft_docx(MSA, LIBRARY, MSA_VALUES)).text
    assert governing_law(analyze(from_text(text), LIBRARY)) == ("standard", 0)
    # The counterparty's edit: their state for Provider's, for both the law and the courts.
    theirs = _governing_paragraph(text, "the State of Delaware", "the State of New York", 2)
    assert governing_law(analyze(from_text(theirs), LIBRARY)) == ("fallback", 2)
    # The law moved but not the courts: no approved position at all.
    law_only = _governing_paragraph(text, "the State of Delaware", "the State of New York", 1)
    assert governing_law(analyze(from_text(law_only), LIBRARY)) == ("nonstandard", None)


def test_the_customers_law_that_is_providers_reads_as_the_standard() -> None:
    data = draft_docx(MSA, LIBRARY, {**MSA_VALUES, "customer_governing_law": "DE"}, {"governing_law": "fallback_2"})
    # Word for word the standard: Provider's own law is no concession.
    assert governing_law(read_back(data)) == ("standard", 0)
