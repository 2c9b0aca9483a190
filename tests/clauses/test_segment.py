"""Tests for clm.clauses.segment: clauses found by headings and numbering, with exact offsets."""

from __future__ import annotations

import io
import time

import docx
import pytest

from clm.clauses.segment import Clause, segment
from clm.documents import Document, from_docx, from_text


def outline(clauses: list[Clause]) -> list[tuple[int, str, str]]:
    return [(c.level, c.number, c.heading) for c in clauses]


def check_offsets(document: Document, clauses: list[Clause]) -> None:
    for c in clauses:
        assert document.text[c.start : c.end] == c.text
        assert c.start <= c.body_start <= c.end
        assert c.text == c.text.strip()


NUMBERED = """\
MASTER SERVICES AGREEMENT

This Agreement is made between Alpha Corp. and Beta LLC.

1. DEFINITIONS

(a) "Services" means the services described in an order.

(b) "Fees" means the fees stated in an order.

2. Term and Termination

2.1 Term. This Agreement starts on the Effective Date and continues for two years.

2.2 Termination for Convenience. Either party may terminate on ninety days' notice.

3. Governing Law. This Agreement is governed by the laws of the State of New York.
"""


def test_numbered_plain_text_outline() -> None:
    document = from_text(NUMBERED)
    clauses = segment(document)
    check_offsets(document, clauses)
    assert outline(clauses) == [
        (0, "", "MASTER SERVICES AGREEMENT"),
        (1, "1", "DEFINITIONS"),
        (2, "(a)", ""),
        (2, "(b)", ""),
        (1, "2", "Term and Termination"),
        (2, "2.1", "Term"),
        (2, "2.2", "Termination for Convenience"),
        (1, "3", "Governing Law"),
    ]
    title, definitions, a, b, term, term_1, term_2, law = clauses
    assert title.body == "This Agreement is made between Alpha Corp. and Beta LLC."
    # A clause spans its sub-clauses and ends where the next clause of its level starts.
    assert definitions.text.startswith("1. DEFINITIONS") and definitions.text.endswith("stated in an order.")
    assert b.start > a.end
    assert term.end == term_2.end
    assert term_1.body == "This Agreement starts on the Effective Date and continues for two years."
    assert law.body == "This Agreement is governed by the laws of the State of New York."
    assert law.end == len(document.text.rstrip())


def test_articles_and_sections_with_heading_on_the_next_line() -> None:
    text = (
        "ARTICLE I\nDEFINITIONS\nCapitalized terms have the meanings below.\n"
        "Section 1.1 Affiliate. An entity controlling a party.\n"
        "Section 1.2 Services. The hosted services.\n"
        "ARTICLE II\nASSIGNMENT\nNeither party may assign this Agreement without consent.\n"
    )
    document = from_text(text)
    clauses = segment(document)
    check_offsets(document, clauses)
    assert outline(clauses) == [
        (1, "ARTICLE I", "DEFINITIONS"),
        (2, "Section 1.1", "Affiliate"),
        (2, "Section 1.2", "Services"),
        (1, "ARTICLE II", "ASSIGNMENT"),
    ]
    assert clauses[0].body.startswith("Capitalized terms")
    assert clauses[3].body == "Neither party may assign this Agreement without consent."


def test_all_caps_and_title_lines_without_numbers() -> None:
    text = (
        "CONSULTING AGREEMENT\n\nThe parties agree as follows.\n\nCONFIDENTIALITY\n\n"
        "Each party will keep the other party's confidential information secret and use it only here.\n\n"
        "Governing Law\n\nThis Agreement is governed by the laws of the State of Delaware, without regard to conflicts.\n"
    )
    document = from_text(text)
    clauses = segment(document)
    check_offsets(document, clauses)
    assert outline(clauses) == [
        (0, "", "CONSULTING AGREEMENT"),
        (1, "", "CONFIDENTIALITY"),
        (1, "", "Governing Law"),
    ]
    assert clauses[2].body.startswith("This Agreement is governed")


def test_roman_and_letter_sub_clauses_nest() -> None:
    text = (
        "1. Obligations. Customer shall:\n(a) pay the fees;\n(b) not:\n(i) copy the software;\n"
        "(ii) reverse engineer it; and\n(c) comply with law.\n2. Fees. Customer pays monthly.\n"
    )
    clauses = segment(from_text(text))
    assert outline(clauses) == [
        (1, "1", "Obligations"),
        (2, "(a)", ""),
        (2, "(b)", ""),
        (3, "(i)", ""),
        (3, "(ii)", ""),
        (2, "(c)", ""),
        (1, "2", "Fees"),
    ]


def test_letter_i_after_h_is_a_letter_not_a_roman_numeral() -> None:
    lines = [f"({c}) item {c}." for c in "abcdefghij"]
    clauses = segment(from_text("1. Definitions.\n" + "\n".join(lines)))
    assert {c.level for c in clauses[1:]} == {2}
    assert [c.number for c in clauses][-3:] == ["(h)", "(i)", "(j)"]


def test_cuad_style_run_on_text() -> None:
    # CUAD texts run paragraphs together on one line, separated by runs of spaces, or not at all.
    text = (
        "NOW, THEREFORE, the parties agree as follows:     1. DEFINITIONS. Capitalized terms have these meanings."
        "     1.1. \"Customer\" means any buyer.     2.   GRANT OF LICENSE     Licensor grants a licence to use the "
        "Software. The licence is personal and may not be transferred without consent. 3. Payment Terms. Licensee "
        "pays within thirty days.     4. GOVERNING LAW. The laws of Ontario apply."
    )
    document = from_text(text)
    clauses = segment(document)
    check_offsets(document, clauses)
    assert [(c.number, c.heading) for c in clauses if c.number] == [
        ("1", "DEFINITIONS"),
        ("1.1", ""),
        ("2", "GRANT OF LICENSE"),
        ("3", "Payment Terms"),
        ("4", "GOVERNING LAW"),
    ]
    law = clauses[-1]
    assert law.body == "The laws of Ontario apply."
    assert clauses[-2].body == "Licensee pays within thirty days."


def test_mid_line_numbers_that_break_the_sequence_are_cross_references() -> None:
    text = (
        "1. Term. The term is one year. "
        + "Filler words go here to make the paragraph long enough for inline headings to be considered. " * 3
        + "As stated in Section 7. Governing Law. applies. 2. Fees. Fees are due monthly."
    )
    clauses = segment(from_text(text))
    assert [c.number for c in clauses] == ["1", "2"]


def test_word_heading_styles_and_title() -> None:
    d = docx.Document()
    d.add_paragraph("Supply Agreement", style="Title")
    d.add_paragraph("Between Alpha and Beta.")
    d.add_paragraph("Delivery", style="Heading 1")
    d.add_paragraph("Supplier delivers the goods to the named place.")
    d.add_paragraph("Risk", style="Heading 2")
    d.add_paragraph("Risk passes on delivery.")
    d.add_paragraph("Liability", style="Heading 1")
    d.add_paragraph("Neither party's total liability will exceed the fees paid.")
    buffer = io.BytesIO()
    d.save(buffer)
    document = from_docx(buffer.getvalue())
    clauses = segment(document)
    check_offsets(document, clauses)
    assert outline(clauses) == [
        (0, "", "Supply Agreement"),
        (1, "", "Delivery"),
        (2, "", "Risk"),
        (1, "", "Liability"),
    ]
    assert clauses[0].body == "Between Alpha and Beta."
    assert clauses[1].text.endswith("Risk passes on delivery.")
    assert clauses[3].body == "Neither party's total liability will exceed the fees paid."


def test_a_document_without_headings_is_split_into_paragraphs() -> None:
    document = from_text("first paragraph of text here.\n\n  second one, indented.\n")
    clauses = segment(document)
    check_offsets(document, clauses)
    assert [c.text for c in clauses] == ["first paragraph of text here.", "second one, indented."]
    assert all(c.level == 1 and c.heading == "" for c in clauses)


@pytest.mark.parametrize("text", ["", "\n\n", "   "])
def test_empty_documents_have_no_clauses(text: str) -> None:
    assert segment(from_text(text)) == []


def test_page_furniture_and_amounts_are_not_headings() -> None:
    text = "1. Fees. Customer pays the fees.\nPAGE 2\n1,000 units are included.\n2. Term. One year."
    clauses = segment(from_text(text))
    assert [c.number for c in clauses] == ["1", "2"]


def test_a_hundred_page_contract_segments_in_linear_time() -> None:
    section = (
        "{n}. SECTION HEADING {n}\n\n"
        "{n}.1 Obligations. " + "The supplier shall perform the services with due care and skill. " * 6 + "\n\n"
        "(a) the first sub-clause of the section, which is long enough to be realistic text;\n\n"
        "(b) the second sub-clause of the section, also of a realistic length for a contract;\n\n"
        "{n}.2 Remedies. " + "The customer may claim damages for any breach of this section. " * 6 + "\n\n"
    )
    text = "".join(section.format(n=n) for n in range(1, 300))
    document = from_text(text)
    assert len(text) > 250_000  # about a hundred pages
    _ = document.text, document.paragraph_starts  # the Document's own caches are not ours to time
    best = min(_timed(document) for _ in range(3))
    assert best < 2.0  # quadratic segmenting takes minutes here; benchmarks measure the speed itself
    clauses = segment(document)
    assert sum(1 for c in clauses if c.level == 1) == 299


def _timed(document: Document) -> float:
    start = time.perf_counter()
    segment(document)
    return time.perf_counter() - start
