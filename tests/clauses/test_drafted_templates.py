"""clm's own templates read back as clm drafted them: every clause at its chosen position.

Each template is drafted with ``clm.clauses.drafting.draft_docx``, read back as an upload is read
(``clm.versions.intake.read_upload``) and analyzed with ``clm.clauses.match.analyze``. A draft with
the template's positions needs no approval whatever valid values it was given and whichever
optional sections are on; a draft with another position chosen reads as that position, and needs
approval exactly when the position is beyond the approval level.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clm.clauses.drafting import draft_docx
from clm.clauses.library import (
    Library,
    Template,
    assemble,
    default_library_path,
    load_library,
    template_variables,
)
from clm.clauses.match import Analysis, analyze
from clm.documents import from_docx
from clm.versions.intake import read_upload

LIBRARY = load_library(default_library_path())
#: The approval level clm ships with (CLM_APPROVAL_FALLBACK_LEVEL): fallback 1 needs no approval.
LEVEL = 1

#: Order lines as the quote flow writes them (clm.quotes.conversion.order_lines_text): long.
ORDER_LINES = (
    "Platform (PLATFORM), 120 x USD 1,080.00 per user per year, less discounts of USD 86,832.00, fee "
    "USD 172,368.00; Analytics (ANALYTICS), 120 x USD 300.00 per user per year, less discounts of USD "
    "10,440.00, fee USD 61,560.00; Implementation (IMPLEMENTATION), 1 x USD 15,000.00 per project, less "
    "discounts of USD 750.00, fee USD 14,250.00"
)

#: Valid values of each type, written the ways a form or an API caller writes them, extremes
#: included; a draft takes the n-th value of its type for its n-th variable, so neighbours differ.
VALUES_BY_TYPE: dict[str, list[Any]] = {
    "party": ["Acme Widgets LLC", "O'Neil & Sons (UK) Ltd.", "Ça Va Société à responsabilité limitée",
              "Zeta <b>Holdings</b>, Inc."],
    "text": ["a New York limited liability company", "1 Main St., Suite 200, Springfield, IL 62701",
             "the European Union", "legal@acme.example"],
    "date": [dt.date(2026, 6, 1), "2028-02-29", "December 31, 2027"],
    "duration": ["P45D", "P10BD", "PT48H", "P999999D", "P18M", "P2W", "twelve (12) months"],
    "money": ["USD 24,000", "$1,250.50", "JPY 1000000", "EUR 1,234,567.89", {"amount": "0", "currency": "GBP"}],
    "percentage": ["5%", "2.5", "0.0001", "100"],
    "integer": [25, 0, 1000, "1,234,567", 999],
    "jurisdiction": ["New York", "England and Wales", "Ontario", "DC", "Hong Kong Special Administrative Region"],
}
#: Template variables whose values are longer than a clause blank takes: the form's own fields.
LONG = {"order_lines": ORDER_LINES,
        "product_name": "CLM Enterprise edition with the analytics add-on, single sign-on, the sandbox "
                        "environment, premium support with a named customer success manager, and "
                        "the data residency option for the European Union and the United Kingdom",
        "special_terms": "Customer may add users at the same per-user price until the first anniversary."}


def values_for(template: Template, positions: dict[str, int], variant: int, switches: bool) -> dict[str, Any]:
    """Return valid values for every variable a form for ``template`` asks for."""
    values: dict[str, Any] = {}
    for k, (name, variable) in enumerate(sorted(template_variables(template, LIBRARY, positions).items())):
        if variable.type == "boolean":
            values[name] = switches
        elif variant == 1 and name in LONG:
            values[name] = LONG[name]
        else:
            options = VALUES_BY_TYPE[variable.type]
            values[name] = options[(k + variant) % len(options)]
    if not switches:
        values.pop("price_increase_cap", None)  # optional: leaving it out drops its sections
    return values


def expected(template: Template, values: dict[str, Any], positions: dict[str, int]) -> dict[str, int]:
    return {s.clause_type: s.position for s in assemble(template, LIBRARY, values, positions)
            if s.clause_type and s.position is not None}


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


@pytest.mark.parametrize("switches", [True, False], ids=["all-sections", "fewest-sections"])
@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("key", sorted(LIBRARY.templates))
def test_a_drafted_template_needs_no_approval(key: str, variant: int, switches: bool) -> None:
    template = LIBRARY.template(key)
    values = values_for(template, {}, variant, switches)
    analysis = read_back(draft_docx(template, LIBRARY, values))
    assert needs_approval(analysis) == []
    got = {c.clause_type: c.match.position_rank for c in analysis.clauses if c.clause_type and c.match}
    assert got == expected(template, values, {})
    # The template's own headed text (order details, fees, NDA term ...) reads as the library's too.
    own = [c for c in analysis.clauses if c.section is not None]
    assert own and all(c.match.status == "standard" for c in own)


POSITIONS = [(key, clause, position.rank)
             for key, template in sorted(LIBRARY.templates.items())
             for clause in dict.fromkeys(s.clause for s in template.sections if s.clause)
             for position in LIBRARY.clause(clause).positions]


@pytest.mark.parametrize(("key", "clause", "rank"), POSITIONS)
def test_a_chosen_position_reads_as_that_position(key: str, clause: str, rank: int) -> None:
    template = LIBRARY.template(key)
    positions = {clause: rank}
    values = values_for(template, positions, rank % 3, True)
    analysis = analyze(from_docx(draft_docx(template, LIBRARY, values, positions)), LIBRARY)
    got = {c.clause_type: c.match.position_rank for c in analysis.clauses if c.clause_type and c.match}
    assert got == expected(template, values, positions)
    assert got[clause] == rank
    beyond = f"{clause} (fallback {rank})"
    assert needs_approval(analysis) == ([beyond] if rank > LEVEL else [])


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
